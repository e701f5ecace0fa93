"""Read a bootstrap stack file and the servestack stack files it prepares (the one edge).

A bad file ends in one `ConfigError` naming the file and the dotted key, before any
resource is declared.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bootstrap.config import STACK_CONFIG_DIR, BootstrapSpec, parse_bootstrap, stack_file
from bootstrap.targets import Target, load_targets
from infra.config import ConfigError
from infra.preview.stackfile import StackConfig, read_stack_config, safe_order


def available(root: Path) -> list[str]:
    files = (root / STACK_CONFIG_DIR).glob("Pulumi.*.yaml")
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in files)


def read_config(root: Path, stack: str) -> StackConfig:
    """The bootstrap stack file, read exactly as a servestack stack file is read."""
    file = stack_file(stack)
    config = read_stack_config(root, stack, root / file)
    return dataclasses.replace(config, file=file)


def load(root: Path, config: StackConfig) -> tuple[BootstrapSpec, list[Target]]:
    spec = parse_bootstrap(
        config.stack, config.values, file=config.file, secret_keys=config.secret_keys
    )
    missing = [s for s in spec.stacks if not (root / "stacks" / f"Pulumi.{s}.yaml").is_file()]
    if missing:
        raise ConfigError(
            config.file,
            "servestack-bootstrap:stacks",
            f"no stack file stacks/Pulumi.{missing[0]}.yaml",
        )
    targets = load_targets(root, safe_order(spec.stacks))
    home_ring = (spec.gcp_project, spec.kms.location, spec.kms.key_ring)
    for target in targets:
        ref = target.secrets_key
        if ref is not None and (ref.project, ref.location, ref.ring) == home_ring:
            raise ConfigError(
                f"stacks/Pulumi.{target.stack}.yaml",
                "servestack:cluster.secretsEncryptionKey",
                f"key ring {ref.ring_id} holds the Pulumi secrets keys; name another ring",
            )
        if ref is not None and target.project != ref.project:
            raise ConfigError(
                f"stacks/Pulumi.{target.stack}.yaml",
                "servestack:cluster.secretsEncryptionKey",
                f"the bootstrap creates this key in the stack's own project {target.project}; "
                "name a key there",
            )
    return spec, targets


def load_runtime(root: Path) -> tuple[BootstrapSpec, list[Target]]:
    """Under the Pulumi engine: the config it set, validated the same way."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    stack = pulumi.get_stack()
    values = dict(runtime_config.CONFIG.get())
    secrets = tuple(sorted(runtime_config._SECRET_KEYS.get()))
    return load(root, StackConfig(stack, stack_file(stack), values, secrets))

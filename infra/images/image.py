"""ModelImage: one model server's image, built from its content-addressed context and pushed.

Consumers use `ref` (`<registry>/<server>:<content tag>@sha256:<digest>`), never a bare tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_docker_build as docker_build

from infra.config import ConfigError, stack_file
from infra.config.targets import ImageTarget, ServerImage
from infra.images.baseimage import LOCK_FILE
from infra.images.context import (
    BuildContext,
    ImageLocks,
    Variant,
    context_dir,
    plan_context,
    verify_models,
    write_context,
)

# Artifact Registry accepts a short-lived OAuth access token with this fixed user name.
_GCP_TOKEN_USER = "oauth2accesstoken"
_LOCAL_REGISTRY_USER = "servestack"


@dataclass(frozen=True)
class ModelImageArgs:
    target: ImageTarget
    """The stack's image settings, model store and local registry credentials."""
    image: ServerImage
    """The server the image is for, its position in the stack file and its GPU flag."""
    variant: Variant
    """`stable` (every listed version) or `canary` (the canary version alone)."""
    registry_url: pulumi.Input[str]
    """Repository URL the image is pushed to (Artifact Registry or the local registry)."""
    root: Path
    """Project root: the Dockerfile and the build contexts live below it."""
    locks: ImageLocks
    """The base-image and model locks, read once for all images of the stack."""
    cache_url: pulumi.Input[str] | None = None
    """Repository of the build cache (tags overwritable); None: build without a cache."""


def cache_ref(cache_url: str, server: str, variant: str) -> str:
    """`<cache repository>/<server>:<variant>`, rewritten by every build of that variant."""
    return f"{cache_url}/{server}:{variant}"


def refuse_unbuildable(target: ImageTarget, context: BuildContext) -> None:
    """A real build needs a pinned base image (unless allowed) and every version as locked."""
    if not context.base.pinned and not target.images.allow_unpinned_base:
        raise ConfigError(
            stack_file(target.stack),
            "servestack:images.tfServingVersion",
            f"base image {context.base.name} has no digest in {LOCK_FILE}; run "
            "`make lock-base-images` where the registry is reachable (or set "
            "images.allowUnpinnedBase: true for a throwaway stack)",
        )
    verify_models(target, context)


def registry_host(registry_url: str) -> str:
    return registry_url.split("/", 1)[0]


def image_ref(registry_url: str, server: str, tag: str, digest: str) -> str:
    """Tag plus digest when the digest is known; the tag alone for unpushed local builds."""
    base = f"{registry_url}/{server}:{tag}"
    return f"{base}@{digest}" if digest else base


class ModelImage(pulumi.ComponentResource):
    """Builds and pushes the image of one model server (stable or canary variant)."""

    ref: pulumi.Output[str]
    """`<registry>/<server>:<tag>@sha256:<digest>`: what Deployments run (never a bare tag)."""
    tag: str
    """The content tag, `ctx-` + 20 hex digits of the one tag formula (infra/images/context.py)."""
    gpu: bool
    """Built on TF Serving's -gpu base, because the server's pool has GPUs."""

    def __init__(
        self, name: str, args: ModelImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:images:ModelImage", name, None, opts)
        target, server = args.target, args.image.server
        context = plan_context(target, args.image, args.variant, args.root, args.locks)
        builds_now = not pulumi.runtime.is_dry_run() or target.images.build_on_preview
        if builds_now:
            refuse_unbuildable(target, context)
        directory = context_dir(args.root, target.stack, server.name, args.variant)
        write_context(context, directory, with_models=builds_now)
        self.tag = context.tag
        self.gpu = context.gpu

        registry = pulumi.Output.from_input(args.registry_url)
        repository = registry.apply(lambda url: f"{url}/{server.name}")
        cached = target.images.registry_cache and args.cache_url is not None
        cache = pulumi.Output.from_input(args.cache_url or "").apply(
            lambda url: cache_ref(url, server.name, args.variant)
        )
        image = docker_build.Image(
            f"{name}-build",
            docker_build.ImageArgs(
                context=docker_build.BuildContextArgs(location=_location(directory, args.root)),
                dockerfile=docker_build.DockerfileArgs(
                    location=_location(directory / "Dockerfile", args.root)
                ),
                build_args=context.build_args,
                platforms=[docker_build.Platform(target.images.platform)],
                push=target.images.push,
                build_on_preview=target.images.build_on_preview,
                tags=[
                    repository.apply(lambda repo: f"{repo}:{context.tag}"),
                    repository.apply(lambda repo: f"{repo}:{context.model_tag}"),
                ],
                labels=_labels(context),
                registries=_registries(target, registry),
                cache_from=(
                    [
                        docker_build.CacheFromArgs(
                            registry=docker_build.CacheFromRegistryArgs(ref=cache)
                        )
                    ]
                    if cached
                    else None
                ),
                cache_to=(
                    [
                        docker_build.CacheToArgs(
                            registry=docker_build.CacheToRegistryArgs(
                                ref=cache,
                                mode=docker_build.CacheMode.MAX,
                                image_manifest=True,
                                oci_media_types=True,
                                # The cache repository takes overwrites: a failing push is a
                                # real fault and fails the build.
                                ignore_error=False,
                            )
                        )
                    ]
                    if cached
                    else None
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ref = pulumi.Output.all(registry, image.digest).apply(
            lambda values: image_ref(values[0], server.name, context.tag, values[1] or "")
        )
        self.register_outputs({"ref": self.ref, "tag": self.tag, "gpu": self.gpu})


def _location(path: Path, root: Path) -> str:
    """Relative to the project root when the program runs there, so plans match across clones."""
    try:
        return (
            path.relative_to(Path.cwd()).as_posix() if root.resolve() == Path.cwd() else str(path)
        )
    except ValueError:
        return str(path)


def _labels(context: BuildContext) -> dict[str, str]:
    models = ",".join(f"{m.name}:{'/'.join(str(v) for v in m.versions)}" for m in context.served)
    return {
        "org.opencontainers.image.base.name": context.base.ref,
        "org.opencontainers.image.title": context.server,
        "org.opencontainers.image.version": context.tag,
        "io.servestack.models": models,
        "io.servestack.variant": context.variant,
    }


def _registries(
    target: ImageTarget, registry: pulumi.Output[str]
) -> list[docker_build.RegistryArgs] | None:
    """Credentials without key files: the deployer's GCP token, or the local registry secret."""
    host = registry.apply(registry_host)
    if target.local is not None:
        if target.local.registry_password is None:
            return None
        password = pulumi.Output.secret(target.local.registry_password.get_secret_value())
        return [
            docker_build.RegistryArgs(
                address=host, username=_LOCAL_REGISTRY_USER, password=password
            )
        ]
    import pulumi_gcp as gcp

    token = gcp.organizations.get_client_config_output().access_token
    return [
        docker_build.RegistryArgs(
            address=host, username=_GCP_TOKEN_USER, password=pulumi.Output.secret(token)
        )
    ]

"""Promote a model version from one stack file to another, as a reviewable text edit.

Two ways to promote, both ending in a stack-file diff that goes through review:
- versions (default): the target model serves exactly the promoted version; labels that
  pointed elsewhere are dropped and a canary of that version is retired (it is now
  the served version);
- `label`: the label (e.g. `stable`) moves to the version in the target, which starts
  serving it alongside its current versions if it did not already.
The file is edited with ruamel.yaml's round-trip mode so comments, key order, quoting
and flow style survive; the result is validated like any stack file before it is kept.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from infra.config import PROJECT, ConfigError, ModelSpec, StackSpec, stack_file

SERVERS_KEY = f"{PROJECT}:servers"


class PromoteError(Exception):
    """Why a promotion cannot be done; one line for the user."""


@dataclass(frozen=True)
class Promotion:
    """The outcome: what changed and the full new text of the target file."""

    server: str
    model: str
    version: int
    target_file: str
    old_text: str
    new_text: str
    label: str | None = None

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text

    def unified_diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=f"a/{self.target_file}",
                tofile=f"b/{self.target_file}",
            )
        )


def round_trip_yaml() -> YAML:
    """The one YAML editor of stack files: keeps comments, order, quoting and flow style."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def pick_model(spec: StackSpec, server: str, model: str | None) -> ModelSpec:
    found = next((s for s in spec.servers if s.name == server), None)
    if found is None:
        names = ", ".join(s.name for s in spec.servers)
        raise PromoteError(f"stack {spec.stack!r} has no server {server!r} (has: {names})")
    if model is None:
        if len(found.models) != 1:
            names = ", ".join(m.name for m in found.models)
            raise PromoteError(f"server {server!r} serves several models ({names}); pass --model")
        return found.models[0]
    chosen = next((m for m in found.models if m.name == model), None)
    if chosen is None:
        raise PromoteError(f"server {server!r} in stack {spec.stack!r} has no model {model!r}")
    return chosen


def source_version(model: ModelSpec, version: int | None, stack: str) -> int:
    """The version to promote: the one asked for (it must run in the source), or the obvious one."""
    if version is not None:
        if version not in model.versions:
            raise PromoteError(
                f"stack {stack!r} does not serve {model.name} version {version} "
                f"(it serves {model.versions})"
            )
        return version
    if "stable" in model.version_labels:
        return model.version_labels["stable"]
    if len(model.versions) == 1:
        return model.versions[0]
    raise PromoteError(
        f"stack {stack!r} serves {model.name} versions {model.versions}; pass --version"
    )


def find_named(items: Any, name: str, what: str) -> CommentedMap:
    if isinstance(items, CommentedSeq):
        for item in items:
            if isinstance(item, CommentedMap) and item.get("name") == name:
                return item
    raise PromoteError(f"no {what} named {name!r} in the target stack file")


def _set_versions(model: CommentedMap, versions: list[int]) -> None:
    current = model.get("versions")
    if isinstance(current, CommentedSeq):
        current.clear()
        current.extend(versions)
    else:
        seq = CommentedSeq(versions)
        seq.fa.set_flow_style()
        model["versions"] = seq


def find_server(document: Any, server: str) -> CommentedMap:
    """The `servers` entry named `server` in a round-trip stack-file document."""
    config = document.get("config") if isinstance(document, CommentedMap) else None
    if not isinstance(config, CommentedMap):
        raise PromoteError("the target stack file has no `config:` mapping")
    return find_named(config.get(SERVERS_KEY), server, "server")


def edit_document(document: Any, server: str, model: str, version: int, label: str | None) -> None:
    """Apply the promotion to a round-trip YAML document in place."""
    server_node = find_server(document, server)
    model_node = find_named(server_node.get("models"), model, "model")
    versions = [int(v) for v in model_node.get("versions") or []]
    labels = model_node.get("versionLabels")
    if label is None:
        _set_versions(model_node, [version])
        if isinstance(labels, CommentedMap):
            for key in [k for k, v in labels.items() if int(v) != version]:
                del labels[key]
            if not labels:
                del model_node["versionLabels"]
        canary = server_node.get("canary")
        if isinstance(canary, CommentedMap) and int(canary.get("version", 0)) == version:
            canary_model = canary.get("model")
            if canary_model in (None, model):
                del server_node["canary"]
        return
    if version not in versions:
        _set_versions(model_node, sorted([*versions, version]))
    if not isinstance(labels, CommentedMap):
        labels = CommentedMap()
        model_node["versionLabels"] = labels
    labels[label] = version


def promote(
    root: Path,
    server: str,
    *,
    source: StackSpec,
    target_stack: str,
    version: int | None = None,
    model: str | None = None,
    label: str | None = None,
) -> Promotion:
    """Compute the edited target file; nothing is written (see `write`)."""
    chosen = pick_model(source, server, model)
    promoted = source_version(chosen, version, source.stack)
    relative = stack_file(target_stack)
    path = root / relative
    if not path.is_file():
        raise PromoteError(f"{relative}: stack file not found")
    old_text = path.read_text(encoding="utf-8")
    yaml = round_trip_yaml()
    document = yaml.load(old_text)
    edit_document(document, server, chosen.name, promoted, label)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return Promotion(
        server=server,
        model=chosen.name,
        version=promoted,
        target_file=relative,
        old_text=old_text,
        new_text=buffer.getvalue(),
        label=label,
    )


def validate(root: Path, promotion: Promotion, target_stack: str) -> StackSpec:
    """Validate the new text exactly as the program would, before it replaces the file."""
    import tempfile

    from infra.preview.stackfile import load_config_spec, read_stack_config

    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / Path(promotion.target_file).name
        candidate.write_text(promotion.new_text, encoding="utf-8")
        try:
            return load_config_spec(read_stack_config(root, target_stack, candidate))
        except ConfigError as error:
            raise ConfigError(promotion.target_file, error.key, error.message) from None


def write(root: Path, promotion: Promotion) -> None:
    (root / promotion.target_file).write_text(promotion.new_text, encoding="utf-8")

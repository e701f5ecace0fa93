"""Promote a model version from one stack file to another, as a reviewable text edit.

Two ways to promote, both ending in a stack-file diff that goes through review:
- versions (default): the target model serves exactly the promoted version; labels that
  pointed elsewhere are dropped and a canary of that version is retired (it is now
  the served version);
- `label`: the label (e.g. `stable`) moves to the version in the target, which starts
  serving it alongside its current versions if it did not already.
The file is edited as text: new values are spliced into the spans the parser reports
(infra/ops/splice.py), so every other byte stays as written (document markers, comments,
indentation, quotes, flow style); the result is re-parsed to check that exactly the
promoted values changed, then validated like any stack file before it is kept.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.nodes import MappingNode, SequenceNode

from infra.config import PROJECT, ConfigError, ModelSpec, StackSpec, stack_file
from infra.ops import splice

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


def edit_data(document: Any, server: str, model: str, version: int, label: str | None) -> Any:
    """The promotion applied to the plain data of a stack file (what the text must parse to)."""
    data = copy.deepcopy(document)
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict):
        raise PromoteError("the target stack file has no `config:` mapping")
    server_node = _find(config.get(SERVERS_KEY), server, "server")
    model_node = _find(server_node.get("models"), model, "model")
    versions = [_int(v) for v in model_node.get("versions") or []]
    labels = model_node.get("versionLabels")
    if label is None:
        model_node["versions"] = [version]
        if isinstance(labels, dict):
            kept = {k: v for k, v in labels.items() if _int(v) == version}
            if kept:
                model_node["versionLabels"] = kept
            else:
                del model_node["versionLabels"]
        canary = server_node.get("canary")
        if (
            isinstance(canary, dict)
            and _int(canary.get("version", 0)) == version
            and canary.get("model") in (None, model)
        ):
            del server_node["canary"]
        return data
    if version not in versions:
        model_node["versions"] = sorted([*versions, version])
    model_node["versionLabels"] = {**(labels if isinstance(labels, dict) else {}), label: version}
    return data


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PromoteError(f"the target stack file holds a non-integer version {value!r}")
    return value


def _find(items: Any, name: str, what: str) -> dict[str, Any]:
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and item.get("name") == name:
                return item
    raise PromoteError(f"no {what} named {name!r} in the target stack file")


def _walk(text: str, path: list[tuple[str, str | None]]) -> MappingNode | None:
    """Follow keys (and `name:` items of sequences) down the freshly composed text."""
    node = splice.compose(text)
    for key, name in path:
        found = splice.entry(node, key)
        node = None if found is None else found[1]
        if name is not None:
            node = splice.named_item(node, name)
    return node if isinstance(node, MappingNode) else None


def edit_text(text: str, server: str, model: str, version: int, label: str | None) -> str:
    """The same promotion as a splice of the target's text: every other byte stays."""
    path = [("config", None), (SERVERS_KEY, server), ("models", model)]
    if _walk(text, path) is None:
        raise PromoteError(f"no server {server!r} with model {model!r} in the target stack file")

    def model_node() -> MappingNode:
        found = _walk(text, path)
        assert found is not None
        return found

    def server_node() -> MappingNode:
        found = _walk(text, path[:2])
        assert found is not None
        return found

    versions_entry = splice.entry(model_node(), "versions")
    if not (versions_entry and isinstance(versions_entry[1], SequenceNode)):
        raise PromoteError(f"model {model!r} has no versions list in the target stack file")
    current = [_int(int(n.value)) for n in versions_entry[1].value if n.value.isdigit()]
    wanted = [version] if label is None else sorted({*current, version})
    if wanted != current:
        text = splice.set_sequence(text, versions_entry[1], list(wanted))
    labels = splice.entry(model_node(), "versionLabels")
    if label is None:
        if labels is not None and isinstance(labels[1], MappingNode):
            stale = [k.value for k, v in labels[1].value if v.value != str(version)]
            for key in stale:
                labels = splice.entry(model_node(), "versionLabels")
                assert labels is not None and isinstance(labels[1], MappingNode)
                if len(labels[1].value) == 1:
                    text = splice.delete_entry(text, model_node(), "versionLabels")
                else:
                    text = splice.delete_entry(text, labels[1], key)
        canary = splice.entry(server_node(), "canary")
        if canary is not None and isinstance(canary[1], MappingNode):
            canary_version = splice.entry(canary[1], "version")
            canary_model = splice.entry(canary[1], "model")
            if (
                canary_version is not None
                and canary_version[1].value == str(version)
                and (canary_model is None or canary_model[1].value == model)
            ):
                text = splice.delete_entry(text, server_node(), "canary")
        return text
    if labels is None:
        column = int(model_node().value[0][0].start_mark.column) + 2
        block = "" if model_node().flow_style else "\n" + " " * column
        value = (
            f"{{{splice.scalar(label)}: {version}}}"
            if not block
            else f"{block}{splice.scalar(label)}: {version}"
        )
        return splice.add_entry(text, model_node(), "versionLabels", value)
    if not isinstance(labels[1], MappingNode):
        raise PromoteError(f"versionLabels of model {model!r} is not a mapping")
    existing = splice.entry(labels[1], label)
    if existing is not None:
        return splice.set_scalar(text, existing[1], version)
    return splice.add_entry(text, labels[1], label, str(version))


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
    try:
        old_text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PromoteError(f"{relative}: cannot read ({error})") from None
    try:
        expected = edit_data(splice.parse_plain(old_text), server, chosen.name, promoted, label)
        new_text = edit_text(old_text, server, chosen.name, promoted, label)
    except splice.SpliceError as error:
        raise PromoteError(f"{relative}: {error}") from None
    try:
        # Re-parse: the splice must change exactly the promoted values and nothing else.
        if splice.parse_plain(new_text) != expected:
            raise PromoteError(
                f"{relative}: cannot edit this layout in place; edit the file by hand"
            )
    except splice.SpliceError as error:
        raise PromoteError(f"{relative}: the edited text does not parse ({error})") from None
    return Promotion(
        server=server,
        model=chosen.name,
        version=promoted,
        target_file=relative,
        old_text=old_text,
        new_text=new_text,
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

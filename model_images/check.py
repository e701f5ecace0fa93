"""The contract gate: every model version loads, meets the serving contract, and serves its warmup.

Accepts a model store (`DIR/<model>/<version>`), one model (`DIR/<version>`) or one version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model_images import contract
from model_images.catalog import is_saved_model


@dataclass
class VersionReport:
    model: str
    version: int
    path: Path
    problems: list[str] = field(default_factory=list)
    warmup_records: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def find_versions(directory: Path) -> list[tuple[str, int, Path]]:
    """(model, version, path) of every SavedModel version under `directory`, sorted."""
    if is_saved_model(directory):
        return [
            (
                directory.parent.name,
                int(directory.name) if directory.name.isdigit() else 0,
                directory,
            )
        ]
    if versions := [p for p in _subdirs(directory) if _is_version_dir(p)]:
        return [(directory.name, int(p.name), p) for p in versions]
    found = []
    for model_dir in _subdirs(directory):
        found += [
            (model_dir.name, int(p.name), p) for p in _subdirs(model_dir) if _is_version_dir(p)
        ]
    return found


def check(directory: Path, *, image_contract: bool = True) -> list[VersionReport]:
    """One report per version; `image_contract=False` only needs the signature and warmup."""
    return [
        check_version(model, version, path, image_contract=image_contract)
        for model, version, path in find_versions(directory)
    ]


def check_version(
    model: str, version: int, path: Path, *, image_contract: bool = True
) -> VersionReport:
    import tensorflow as tf

    report = VersionReport(model, version, path)
    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as error:  # noqa: BLE001 - any load failure is a finding
        report.problems.append(f"does not load: {_first_line(error)}")
        return report
    function = loaded.signatures.get(contract.SIGNATURE)
    if function is None:
        present = ", ".join(sorted(loaded.signatures)) or "none"
        report.problems.append(f"no {contract.SIGNATURE!r} signature (has: {present})")
        return report
    inputs: dict[str, Any] = function.structured_input_signature[1]
    outputs: dict[str, Any] = function.structured_outputs
    if image_contract:
        report.problems += list(_contract_problems(inputs, outputs, path))
    if not (path / contract.WARMUP_FILE).is_file():
        report.problems.append(f"no warmup records at {contract.WARMUP_FILE}")
        return report
    report.problems += list(_run_warmup(path, function, inputs, outputs, report))
    return report


def _contract_problems(
    inputs: dict[str, Any], outputs: dict[str, Any], path: Path
) -> Iterator[str]:
    import tensorflow as tf

    expected_in = {contract.INPUT_KEY: (tf.string, [None])}
    if set(inputs) != set(expected_in):
        yield f"signature inputs are {sorted(inputs)}, expected [{contract.INPUT_KEY!r}]"
    else:
        spec = inputs[contract.INPUT_KEY]
        if spec.dtype != tf.string or spec.shape.as_list() != [None]:
            yield (
                f"input {contract.INPUT_KEY!r} is {spec.dtype.name} {spec.shape}, "
                "expected a batch of encoded images (string, shape [None])"
            )
    expected_out = {contract.OUTPUT_CLASSES: tf.string, contract.OUTPUT_SCORES: tf.float32}
    for key, dtype in expected_out.items():
        spec = outputs.get(key)
        if spec is None:
            yield f"signature has no output {key!r} (outputs: {sorted(outputs)})"
        elif spec.dtype != dtype or spec.shape.rank != 2:
            yield (
                f"output {key!r} is {spec.dtype.name} {spec.shape}, "
                f"expected {dtype.name} [batch, k]"
            )
    if not (path / "assets" / contract.LABELS_ASSET).is_file():
        yield f"no labels asset at assets/{contract.LABELS_ASSET}"


def _run_warmup(
    path: Path,
    function: Any,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    report: VersionReport,
) -> Iterator[str]:
    import tensorflow as tf

    from model_images import warmup

    try:
        records = warmup.read(path)
    except Exception as error:  # noqa: BLE001
        yield f"warmup records unreadable: {_first_line(error)}"
        return
    if not records:
        yield "warmup file holds no records"
    for number, record in enumerate(records, start=1):
        where = f"warmup record {number}"
        if record.WhichOneof("log_type") != "predict_log":
            yield f"{where}: is a {record.WhichOneof('log_type')}, expected predict_log"
            continue
        request = record.predict_log.request
        signature_name = request.model_spec.signature_name or contract.SIGNATURE
        if signature_name != contract.SIGNATURE:
            yield f"{where}: asks for signature {signature_name!r}, not {contract.SIGNATURE!r}"
            continue
        if set(request.inputs) != set(inputs):
            yield (
                f"{where}: inputs {sorted(request.inputs)} do not match "
                f"the signature's {sorted(inputs)}"
            )
            continue
        arguments = {}
        mismatch = False
        for key, proto in request.inputs.items():
            tensor = tf.constant(tf.make_ndarray(proto))
            if tensor.dtype != inputs[key].dtype or not inputs[key].shape.is_compatible_with(
                tensor.shape
            ):
                yield (
                    f"{where}: input {key!r} is {tensor.dtype.name} {tensor.shape}, "
                    f"signature wants {inputs[key].dtype.name} {inputs[key].shape}"
                )
                mismatch = True
            arguments[key] = tensor
        if mismatch:
            continue
        try:
            result = function(**arguments)
        except Exception as error:  # noqa: BLE001
            yield f"{where}: signature failed: {_first_line(error)}"
            continue
        missing = sorted(set(outputs) - set(result))
        if missing:
            yield f"{where}: outputs {missing} missing from the result"
        report.warmup_records += 1


# Framing lines of TensorFlow runtime errors; the reason is the line they surround.
_TF_FRAMING = ("Graph execution error:", "Detected at node", "<stack traces unavailable>", "[[")


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    reasons = [line for line in lines if not line.startswith(_TF_FRAMING)]
    return (reasons or lines or [type(error).__name__])[0]


def _subdirs(directory: Path) -> list[Path]:
    return sorted((p for p in directory.iterdir() if p.is_dir()), key=lambda p: p.name)


def _is_version_dir(path: Path) -> bool:
    return path.name.isdigit() and is_saved_model(path)

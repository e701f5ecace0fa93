"""The contract gate: every version loads and serves the way TF Serving loads and serves it.

Per version: load as a SavedModelBundle (TF1 session, `serve` tag; model_images.tfserving),
check the image contract, replay every warmup record (a failing record is a failed load, as in
TF Serving), then answer one REST body and one gRPC PredictRequest converted the way TF
Serving converts them. Accepts a model store (`DIR/<model>/<version>`), one model
(`DIR/<version>`) or one version.
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
    signature: dict[str, Any] = field(default_factory=dict)
    """Inputs and outputs of serving_default (dtype, shape), as recorded in the model lock."""

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
    """One report per version; `image_contract=False` only needs loading and the warmup."""
    return [
        check_version(model, version, path, image_contract=image_contract)
        for model, version, path in find_versions(directory)
    ]


def check_version(
    model: str, version: int, path: Path, *, image_contract: bool = True
) -> VersionReport:
    from model_images.tfserving import SavedModelBundle, ServingError, replay_warmup

    report = VersionReport(model, version, path)
    try:
        bundle = SavedModelBundle(path)
    except ServingError as error:
        report.problems.append(str(error))
        return report
    with bundle:
        if contract.SIGNATURE not in bundle.signatures:
            present = ", ".join(sorted(bundle.signatures)) or "none"
            report.problems.append(f"no {contract.SIGNATURE!r} signature (has: {present})")
            return report
        report.signature = bundle.summary()
        if image_contract:
            report.problems += list(_contract_problems(report.signature, path))
        if not (path / contract.WARMUP_FILE).is_file():
            # Optional for TF Serving, required here: without it the first requests pay
            # for graph warm-up and the readiness probe passes before the model is fast.
            report.problems.append(f"no warmup records at {contract.WARMUP_FILE}")
            return report
        try:
            report.warmup_records = replay_warmup(bundle)
        except ServingError as error:
            report.problems.append(f"warmup fails, so TF Serving fails the load: {error}")
            return report
        if report.warmup_records == 0:
            report.problems.append("warmup file holds no records")
        if image_contract and report.ok:
            report.problems += list(_client_problems(bundle, model, version))
    return report


def _contract_problems(signature: dict[str, Any], path: Path) -> Iterator[str]:
    inputs, outputs = signature["inputs"], signature["outputs"]
    if set(inputs) != {contract.INPUT_KEY}:
        yield f"signature inputs are {sorted(inputs)}, expected [{contract.INPUT_KEY!r}]"
    elif inputs[contract.INPUT_KEY] != {"dtype": "string", "shape": [-1]}:
        spec = inputs[contract.INPUT_KEY]
        yield (
            f"input {contract.INPUT_KEY!r} is {spec['dtype']} {spec['shape']}, "
            "expected a batch of encoded images (string, shape [-1])"
        )
    for key, dtype in ((contract.OUTPUT_CLASSES, "string"), (contract.OUTPUT_SCORES, "float32")):
        spec = outputs.get(key)
        if spec is None:
            yield f"signature has no output {key!r} (outputs: {sorted(outputs)})"
        elif spec["dtype"] != dtype or len(spec["shape"]) != 2:
            yield f"output {key!r} is {spec['dtype']} {spec['shape']}, expected {dtype} [batch, k]"
    if not (path / "assets" / contract.LABELS_ASSET).is_file():
        yield f"no labels asset at assets/{contract.LABELS_ASSET}"


def _client_problems(bundle: Any, model: str, version: int) -> Iterator[str]:
    """One REST body and one gRPC request, each as a client of the image contract sends it."""
    from tensorflow_serving.apis import predict_pb2

    from model_images import rest, warmup
    from model_images.tfserving import ServingError, outputs_as_arrays

    image = warmup.sample_jpeg(seed=7)
    try:
        body = rest.image_body([image])
        rest_request = rest.predict_request(body, model, bundle.signatures, version)
        yield from _answer_problems("REST", outputs_as_arrays(bundle.predict(rest_request)))
    except (rest.RestError, ServingError) as error:
        yield f"REST body fails: {error}"
    # gRPC carries the serialized proto; parse it back as the server does.
    wire = warmup.image_requests(model, count=1)[0].SerializeToString()
    try:
        answer = bundle.predict(predict_pb2.PredictRequest.FromString(wire))
        yield from _answer_problems("gRPC", outputs_as_arrays(answer))
    except ServingError as error:
        yield f"gRPC PredictRequest fails: {error}"


def _answer_problems(api: str, outputs: dict[str, Any]) -> Iterator[str]:
    for key in (contract.OUTPUT_CLASSES, contract.OUTPUT_SCORES):
        if key not in outputs:
            yield f"{api} answer has no {key!r}"
        elif outputs[key].shape[0] != 1:
            yield f"{api} answer {key!r} has batch {outputs[key].shape[0]}, expected 1"
    classes = outputs.get(contract.OUTPUT_CLASSES)
    if classes is not None and any(not value for value in classes.flatten()):
        yield f"{api} answer has empty class names (labels asset not loaded)"


def _subdirs(directory: Path) -> list[Path]:
    return sorted((p for p in directory.iterdir() if p.is_dir()), key=lambda p: p.name)


def _is_version_dir(path: Path) -> bool:
    return path.name.isdigit() and is_saved_model(path)

"""Export recipes and the contract gate, which loads and serves as TF Serving 2.19 does."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2
from typer.testing import CliRunner

from infra.cli.app import app
from model_images import contract, rest, warmup
from model_images.check import check, check_version
from model_images.export import export
from model_images.tfserving import MAX_WARMUP_RECORDS, SavedModelBundle, outputs_as_arrays
from tests.models.legacy_export import legacy_export

pytestmark = pytest.mark.models
runner = CliRunner()


def test_tiny_export_has_contract_files(tiny_store: Path) -> None:
    version = tiny_store / "tiny" / "1"
    assert (version / "saved_model.pb").is_file()
    labels = (version / "assets" / contract.LABELS_ASSET).read_text().split()
    assert labels[:3] == ["airplane", "automobile", "bird"]
    records = warmup.read(version)
    assert len(records) == contract.WARMUP_RECORDS
    request = records[1].predict_log.request
    assert request.model_spec.name == "tiny"
    assert request.model_spec.signature_name == contract.SIGNATURE
    assert tf.make_ndarray(request.inputs[contract.INPUT_KEY]).shape == (2,)


@pytest.mark.parametrize("recipe", ["tiny", "inception_v3", "resnet50"])
def test_every_recipe_loads_warms_up_and_answers_as_tf_serving(recipe: str, tmp_path: Path) -> None:
    """Random weights; the TF1 SavedModelBundle path, warmup replay, one REST and one gRPC."""
    directory = export(recipe, 1, tmp_path)
    report = check_version(recipe, 1, directory)
    assert report.ok, report.problems
    assert report.warmup_records == contract.WARMUP_RECORDS
    assert report.signature["inputs"] == {contract.INPUT_KEY: {"dtype": "string", "shape": [-1]}}
    assert report.signature["outputs"][contract.OUTPUT_SCORES]["shape"] == [-1, contract.TOP_K]
    labels = set((directory / "assets" / contract.LABELS_ASSET).read_text().split())
    with SavedModelBundle(directory) as bundle:
        body = rest.image_body([warmup.sample_jpeg(seed=1), warmup.sample_jpeg(seed=2)])
        answer = outputs_as_arrays(
            bundle.predict(rest.predict_request(body, recipe, bundle.signatures))
        )
    classes, scores = answer[contract.OUTPUT_CLASSES], answer[contract.OUTPUT_SCORES]
    assert classes.shape == scores.shape == (2, contract.TOP_K)
    assert {c.decode() for c in classes.ravel()} <= labels  # read from the labels asset
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_the_old_export_fails_the_gate_though_the_tf2_loader_runs_it(tmp_path: Path) -> None:
    """The regression: what `tf.saved_model.load` passed and TF Serving could not load."""
    old = legacy_export(tmp_path / "tiny" / "1")
    serve = tf.saved_model.load(str(old)).signatures[contract.SIGNATURE]
    assert serve(image_bytes=tf.constant([warmup.sample_jpeg()]))[contract.OUTPUT_SCORES].shape
    (report,) = check(tmp_path)
    (problem,) = report.problems
    assert problem.startswith("warmup fails, so TF Serving fails the load: warmup record 1: ")
    assert "Could not find variable" in problem
    result = runner.invoke(app, ["models", "check", str(tmp_path)])
    assert result.exit_code == 1
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("FAIL")]
    assert line.startswith("FAIL  tiny/1: warmup fails") and "Could not find variable" in line


def test_check_command_passes_and_shows_the_request_contract(tiny_store: Path) -> None:
    result = runner.invoke(app, ["models", "check", str(tiny_store)])
    assert result.exit_code == 0, result.output
    assert "ok    tiny/1 (2 warmup records; REST and gRPC answered)" in result.output
    assert "ok    tiny/2 (2 warmup records; REST and gRPC answered)" in result.output
    assert '{"instances": [{"image_bytes": {"b64": "<base64 of a JPEG or PNG>"}}]}' in (
        result.output
    )
    assert 'inputs["image_bytes"]: DT_STRING, shape [1]' in result.output


def _copy(tiny_store: Path, tmp_path: Path, version: int) -> Path:
    target = tmp_path / "tiny" / str(version)
    shutil.copytree(tiny_store / "tiny" / "1", target)
    return target


def test_a_warmup_record_for_another_input_fails_the_load(tiny_store: Path, tmp_path: Path) -> None:
    version = _copy(tiny_store, tmp_path, 7)
    # Pixels as floats under another key: what a client of another model would send.
    warmup.write(
        version, [warmup.predict_request("tiny", {"input_1": np.zeros((1, 32, 32, 3), np.float32)})]
    )
    (problem,) = check(version)[0].problems
    assert problem.endswith(
        "warmup record 1: Signature input alias: image_bytes(feed name: serving_default_"
        "image_bytes:0) not found in request and no default value provided."
    )


def test_wrong_dtype_and_missing_warmup_fail(tiny_store: Path, tmp_path: Path) -> None:
    version = _copy(tiny_store, tmp_path, 3)
    warmup.write(
        version, [warmup.predict_request("tiny", {contract.INPUT_KEY: np.zeros((1,), np.float32)})]
    )
    (problem,) = check(version)[0].problems
    assert "input 'image_bytes' is float32, the signature expects string" in problem
    (version / contract.WARMUP_FILE).unlink()
    assert check(version)[0].problems == [f"no warmup records at {contract.WARMUP_FILE}"]


def test_a_failing_record_reports_the_reason_not_the_framing(
    tiny_store: Path, tmp_path: Path
) -> None:
    version = _copy(tiny_store, tmp_path, 4)
    not_an_image = np.array([b"not an image"], dtype=object)
    warmup.write(version, [warmup.predict_request("tiny", {contract.INPUT_KEY: not_an_image})])
    (problem,) = check(version)[0].problems
    # TensorFlow 2.19's own words (2.21 also names JPEG XL and WebP).
    assert problem == (
        "warmup fails, so TF Serving fails the load: warmup record 1: Unknown image file format."
        " One of JPEG, PNG, GIF, BMP required."
    )


def test_more_than_1000_warmup_records_fail_the_load(tiny_store: Path, tmp_path: Path) -> None:
    version = _copy(tiny_store, tmp_path, 5)
    (request,) = warmup.image_requests("tiny", count=1)
    warmup.write(version, [request] * MAX_WARMUP_RECORDS)
    assert check_version("tiny", 5, version).warmup_records == MAX_WARMUP_RECORDS
    warmup.write(version, [request] * (MAX_WARMUP_RECORDS + 1))
    (problem,) = check_version("tiny", 5, version).problems
    assert problem.endswith("Number of warmup records exceeds the maximum (1000)")


def test_log_types_tf_serving_does_not_replay_fail(tiny_store: Path, tmp_path: Path) -> None:
    version = _copy(tiny_store, tmp_path, 6)
    path = version / contract.WARMUP_FILE
    log = prediction_log_pb2.PredictionLog()
    log.session_run_log.SetInParent()
    with tf.io.TFRecordWriter(str(path)) as writer:
        writer.write(log.SerializeToString())
    (problem,) = check(version)[0].problems
    assert problem.endswith("Unsupported log_type for warmup: session_run_log")


def test_check_reports_an_empty_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["models", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "no SavedModel versions found" in result.output


def test_export_refuses_bad_input_with_exit_code_2(tiny_store: Path) -> None:
    cases = [
        (["export", "tiny", "--version", "1", "--out", str(tiny_store)], "exists; pass --force"),
        (["export", "mobilenet", "--version", "1", "--out", str(tiny_store)], "unknown recipe"),
        (
            ["export", "tiny", "--version", "1", "--weights", "imagenet", "--out", "x"],
            "--weights none",
        ),
        (["export", "savedmodel", "--version", "1", "--out", "x"], "needs --path"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output


def _own_saved_model(directory: Path) -> None:
    class Scaler(tf.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.factor = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])  # type: ignore[misc]
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": x * self.factor}

    module = Scaler()
    tf.saved_model.save(module, str(directory), signatures={"serving_default": module.serve})


def test_bring_your_own_saved_model_gets_warmup_and_passes_any_signature_check(
    tmp_path: Path,
) -> None:
    own = tmp_path / "mine"
    _own_saved_model(own)
    store = tmp_path / "store"
    args = ["export", "savedmodel", "--path", str(own), "--name", "scaler", "--version", "4"]
    result = runner.invoke(app, [*args, "--out", str(store)])
    assert result.exit_code == 0, result.output
    (record,) = warmup.read(store / "scaler" / "4")
    assert tf.make_ndarray(record.predict_log.request.inputs["x"]).shape == (1, 4)
    assert runner.invoke(app, ["models", "check", "--any-signature", str(store)]).exit_code == 0
    strict = runner.invoke(app, ["models", "check", str(store)])
    assert strict.exit_code == 1
    assert "signature inputs are ['x'], expected ['image_bytes']" in strict.output

"""Export recipes, the serving contract, and the `models check` gate."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from typer.testing import CliRunner

from infra.cli.app import app
from model_images import contract, warmup
from model_images.check import check

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


def test_signature_returns_top_k_classes_and_sorted_scores(tiny_store: Path) -> None:
    loaded = tf.saved_model.load(str(tiny_store / "tiny" / "1"))
    serve = loaded.signatures[contract.SIGNATURE]
    images = tf.constant([warmup.sample_jpeg(seed=1), warmup.sample_jpeg(seed=2)])
    result = serve(**{contract.INPUT_KEY: images})
    classes = result[contract.OUTPUT_CLASSES].numpy()
    scores = result[contract.OUTPUT_SCORES].numpy()
    assert classes.shape == scores.shape == (2, contract.TOP_K)
    labels = set((tiny_store / "tiny" / "1" / "assets" / "labels.txt").read_text().split())
    assert {c.decode() for c in classes.ravel()} <= labels
    assert np.all(np.diff(scores, axis=1) <= 0)
    assert np.all((scores >= 0) & (scores <= 1))


def test_tiny_export_is_deterministic(tmp_path: Path, tiny_store: Path) -> None:
    """Fixed seed: the same recipe gives the same answers."""
    from model_images.export import export

    again = export("tiny", 1, tmp_path)
    images = tf.constant([warmup.sample_jpeg(seed=3)])
    first = tf.saved_model.load(str(tiny_store / "tiny" / "1")).signatures[contract.SIGNATURE]
    second = tf.saved_model.load(str(again)).signatures[contract.SIGNATURE]
    np.testing.assert_allclose(
        first(image_bytes=images)[contract.OUTPUT_SCORES].numpy(),
        second(image_bytes=images)[contract.OUTPUT_SCORES].numpy(),
    )


def test_check_command_passes_on_tiny(tiny_store: Path) -> None:
    result = runner.invoke(app, ["models", "check", str(tiny_store)])
    assert result.exit_code == 0, result.output
    assert "ok    tiny/1 (2 warmup records)" in result.output
    assert "ok    tiny/2 (2 warmup records)" in result.output


def test_check_fails_when_warmup_does_not_match_the_signature(
    tiny_store: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "store" / "tiny" / "7"
    shutil.copytree(tiny_store / "tiny" / "1", broken)
    # Pixels as floats under the wrong key: what a client of another model would send.
    warmup.write(
        broken, [warmup.predict_request("tiny", {"input_1": np.zeros((1, 32, 32, 3), np.float32)})]
    )
    result = runner.invoke(app, ["models", "check", str(tmp_path / "store")])
    assert result.exit_code == 1
    assert (
        "tiny/7: warmup record 1: inputs ['input_1'] do not match the signature's ['image_bytes']"
        in (result.output)
    )
    assert "1 of 1 model versions failed the check" in result.output


def test_check_fails_on_wrong_dtype_and_on_missing_warmup(tiny_store: Path, tmp_path: Path) -> None:
    version = tmp_path / "tiny" / "3"
    shutil.copytree(tiny_store / "tiny" / "1", version)
    warmup.write(
        version, [warmup.predict_request("tiny", {contract.INPUT_KEY: np.zeros((1,), np.float32)})]
    )
    (problem,) = check(version)[0].problems
    assert "input 'image_bytes' is float32 (1,), signature wants string (None,)" in problem
    (version / contract.WARMUP_FILE).unlink()
    assert check(version)[0].problems == [f"no warmup records at {contract.WARMUP_FILE}"]


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
    class Doubler(tf.Module):  # type: ignore[misc]
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])  # type: ignore[misc]
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": x * 2.0}

    module = Doubler()
    tf.saved_model.save(module, str(directory), signatures={"serving_default": module.serve})


def test_bring_your_own_saved_model_gets_warmup_and_passes_any_signature_check(
    tmp_path: Path,
) -> None:
    own = tmp_path / "mine"
    _own_saved_model(own)
    store = tmp_path / "store"
    result = runner.invoke(
        app,
        [
            "export",
            "savedmodel",
            "--path",
            str(own),
            "--name",
            "doubler",
            "--version",
            "4",
            "--out",
            str(store),
        ],
    )
    assert result.exit_code == 0, result.output
    (record,) = warmup.read(store / "doubler" / "4")
    assert tf.make_ndarray(record.predict_log.request.inputs["x"]).shape == (1, 4)
    assert runner.invoke(app, ["models", "check", "--any-signature", str(store)]).exit_code == 0
    strict = runner.invoke(app, ["models", "check", str(store)])
    assert strict.exit_code == 1
    assert "signature inputs are ['x'], expected ['image_bytes']" in strict.output


def test_inception_v3_without_weights_passes_the_gate(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["export", "inception_v3", "--version", "1", "--weights", "none", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    (report,) = check(tmp_path)
    assert report.ok, report.problems
    assert report.warmup_records == contract.WARMUP_RECORDS
    labels = (tmp_path / "inception_v3" / "1" / "assets" / "labels.txt").read_text().split()
    assert len(labels) == 1000 and labels[0] == "class_0000"


def test_a_failing_signature_reports_the_reason_not_the_framing(
    tiny_store: Path, tmp_path: Path
) -> None:
    version = tmp_path / "tiny" / "4"
    shutil.copytree(tiny_store / "tiny" / "1", version)
    not_an_image = np.array([b"not an image"], dtype=object)
    warmup.write(version, [warmup.predict_request("tiny", {contract.INPUT_KEY: not_an_image})])
    (problem,) = check(version)[0].problems
    assert problem == (
        "warmup record 1: signature failed: Unknown image file format. "
        "One of JPEG, JPEG XL, PNG, GIF, BMP, WebP required."
    )

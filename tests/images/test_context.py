"""Build context planning: contents, hash determinism, pending models, path sources."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2  # type: ignore[import-untyped]

from infra.config import ConfigError, StackSpec
from infra.images import context as ctx
from infra.images.baseimage import read_lock
from tests.images.conftest import ROOT, fake_saved_model

SpecFor = Callable[..., StackSpec]


def _plan(
    spec: StackSpec, server: str = "classify", variant: ctx.Variant = "stable"
) -> ctx.BuildContext:
    target = next(s for s in spec.servers if s.name == server)
    return ctx.plan_context(spec, target, variant, ROOT, read_lock(ROOT))


def _files(plan: ctx.BuildContext) -> dict[str, bytes]:
    return {e.path: e.read() for e in plan.entries}


def test_stable_context_holds_every_version_configs_and_dockerfile(spec_for: SpecFor) -> None:
    files = _files(_plan(spec_for()))
    assert {
        "Dockerfile",
        "config/models.config",
        "config/monitoring.config",
        "config/batching.config",
        "config/manifest.json",
        "models/tiny/1/saved_model.pb",
        "models/tiny/2/saved_model.pb",
        "models/tiny/2/variables/variables.index",
        "models/inception/3/assets/labels.txt",
    } <= set(files)
    assert files["Dockerfile"] == (ROOT / "model_images/Dockerfile").read_bytes()
    assert files["models/tiny/2/saved_model.pb"] == b"graph tiny-2"
    config = text_format.Parse(
        files["config/models.config"].decode(), model_server_config_pb2.ModelServerConfig()
    )
    tiny = next(c for c in config.model_config_list.config if c.name == "tiny")
    assert list(tiny.model_version_policy.specific.versions) == [1, 2]
    assert dict(tiny.version_labels) == {"stable": 1, "canary": 2}
    assert b"max_batch_size { value: 16 }" in files["config/batching.config"]


def test_canary_context_serves_only_the_canary_version(spec_for: SpecFor) -> None:
    plan = _plan(spec_for(), variant="canary")
    paths = {e.path for e in plan.entries}
    assert "models/tiny/2/saved_model.pb" in paths
    assert not any(p.startswith("models/tiny/1/") for p in paths)
    assert "models/inception/3/saved_model.pb" in paths
    served = {m.name: m for m in plan.served}
    assert served["tiny"].versions == (2,)
    assert served["tiny"].labels == (("canary", 2),)
    assert plan.tag != _plan(spec_for()).tag


def test_canary_variant_needs_a_canary(spec_for: SpecFor) -> None:
    with pytest.raises(ValueError, match="no canary"):
        _plan(spec_for(), server="gpu-server", variant="canary")


def test_same_inputs_give_the_same_tag_and_any_byte_changes_it(
    spec_for: SpecFor, store: Path
) -> None:
    first = _plan(spec_for())
    assert first.tag == _plan(spec_for()).tag
    assert first.tag.startswith("ctx-") and len(first.tag) == 24
    (store / "tiny" / "1" / "saved_model.pb").write_bytes(b"retrained")
    assert _plan(spec_for()).tag != first.tag


def test_no_machine_specific_data_in_the_hash(spec_for: SpecFor, tmp_path: Path) -> None:
    """A model store elsewhere with the same bytes gives the same tag."""
    other = tmp_path / "elsewhere"
    for model, version in (("tiny", 1), ("tiny", 2), ("inception", 3)):
        fake_saved_model(other / model / str(version), f"{model}-{version}")
    from tests.images.conftest import make_spec

    assert _plan(make_spec(other)).tag == _plan(spec_for()).tag


def test_gpu_pool_selects_the_gpu_base(spec_for: SpecFor) -> None:
    gpu = _plan(spec_for(), server="gpu-server")
    assert gpu.gpu
    assert gpu.base.tag == "2.19.1-gpu"
    assert gpu.build_args == {"BASE_REPOSITORY": "tensorflow/serving", "BASE_TAG": "2.19.1-gpu"}
    assert not _plan(spec_for()).gpu


def test_pinned_base_goes_into_build_args_and_hash(spec_for: SpecFor) -> None:
    spec = spec_for()
    server = spec.servers[0]
    digest = "sha256:" + "cd" * 32
    pinned = ctx.plan_context(spec, server, "stable", ROOT, {"tensorflow/serving:2.19.1": digest})
    unpinned = ctx.plan_context(spec, server, "stable", ROOT, {})
    assert pinned.build_args["BASE_TAG"] == f"2.19.1@{digest}"
    assert pinned.tag != unpinned.tag


def test_missing_exports_are_recorded_as_pending(tmp_path: Path) -> None:
    from tests.images.conftest import make_spec

    plan = _plan(make_spec(tmp_path / "empty-store"))
    assert [(p.model, p.version) for p in plan.pending] == [
        ("tiny", 1),
        ("tiny", 2),
        ("inception", 3),
    ]
    inception = plan.pending[2]
    assert inception.key == "servestack:servers[0].models[1].source"
    assert inception.command == (
        f"servestack export inception_v3 --version 3 --out {tmp_path / 'empty-store'}"
        " --name inception --weights imagenet"
    )
    manifest = json.loads(_files(plan)["config/manifest.json"])
    assert manifest["models"][0]["state"] == "pending"
    assert len(manifest["models"][0]["recipeHash"]) == 64
    assert not any(e.path.startswith("models/") for e in plan.entries)
    assert plan.tag == _plan(make_spec(tmp_path / "empty-store")).tag


def test_path_sources_must_exist(spec_for: SpecFor, tmp_path: Path) -> None:
    servers = [
        {
            "name": "byo",
            "nodePool": "cpu",
            "models": [
                {"name": "mine", "source": {"path": str(tmp_path / "nope")}, "versions": [1]}
            ],
        }
    ]
    spec = spec_for(**{"servestack:servers": servers})
    with pytest.raises(ConfigError) as error:
        _plan(spec, server="byo")
    assert error.value.key == "servestack:servers[0].models[0].source.path"
    assert "is not a directory" in str(error.value)
    (tmp_path / "nope" / "1").mkdir(parents=True)
    with pytest.raises(ConfigError, match="holds no SavedModel"):
        _plan(spec, server="byo")
    fake_saved_model(tmp_path / "nope" / "1", "byo")
    assert "models/mine/1/saved_model.pb" in _files(_plan(spec, server="byo"))


def test_write_context_materialises_readable_files(spec_for: SpecFor, tmp_path: Path) -> None:
    plan = _plan(spec_for())
    dest = tmp_path / "ctx" / "classify-stable"
    ctx.write_context(plan, dest)
    written = {
        p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()
    }
    assert written == _files(plan)
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in dest.rglob("*") if p.is_file())
    assert all(p.stat().st_mode & 0o777 == 0o755 for p in dest.rglob("*") if p.is_dir())
    (dest / "stray").write_text("x")
    ctx.write_context(plan, dest)  # current: left alone
    assert (dest / "stray").exists()
    (dest.parent / "classify-stable.hash").write_text("stale")
    ctx.write_context(plan, dest)
    assert not (dest / "stray").exists()

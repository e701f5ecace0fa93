"""Build context planning: contents from the model lock, the one tag formula, build checks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2  # type: ignore[import-untyped]

from infra.config import ConfigError, StackSpec
from infra.config.targets import image_target
from infra.images import context as ctx
from infra.images.baseimage import read_lock
from model_images.lock import ModelLock
from tests.images.conftest import ROOT, fake_saved_model, fake_store, lock_of

SpecFor = Callable[..., StackSpec]
PINNED = {"tensorflow/serving:2.19.1": "sha256:" + "cd" * 32}


def _plan(
    spec: StackSpec,
    lock: ModelLock,
    server: str = "classify",
    variant: ctx.Variant = "stable",
    base_lock: dict[str, str | None] | None = None,
) -> ctx.BuildContext:
    target = next(s for s in spec.servers if s.name == server)
    return ctx.plan_for(
        spec, target, variant, ROOT, read_lock(ROOT) if base_lock is None else base_lock, lock
    )


def _files(plan: ctx.BuildContext) -> dict[str, bytes]:
    return {e.path: e.read() for e in plan.entries}


def test_stable_context_holds_configs_a_dockerfile_and_the_locked_versions(
    spec_for: SpecFor, model_lock: ModelLock
) -> None:
    plan = _plan(spec_for(), model_lock)
    files = _files(plan)
    assert set(files) == {
        "Dockerfile",
        "config/batching.config",
        "config/manifest.json",
        "config/models.config",
        "config/monitoring.config",
    }
    assert [(m.locked.model, m.locked.version) for m in plan.models] == [
        ("tiny", 1),
        ("tiny", 2),
        ("inception", 3),
    ]
    dockerfile = files["Dockerfile"].decode()
    assert "COPY models/ /models/\n" not in dockerfile
    assert (
        "COPY models/tiny/1/ /models/tiny/1/\nCOPY models/tiny/2/ /models/tiny/2/\n" in dockerfile
    )
    manifest = json.loads(files["config/manifest.json"])
    assert manifest["models"][2] == {
        "digest": model_lock.versions[("inception", 3)].digest,
        "name": "inception",
        "source": "gs://test-models/inception/3",
        "version": 3,
    }
    config = text_format.Parse(
        files["config/models.config"].decode(), model_server_config_pb2.ModelServerConfig()
    )
    tiny = next(c for c in config.model_config_list.config if c.name == "tiny")
    assert list(tiny.model_version_policy.specific.versions) == [1, 2]
    assert dict(tiny.version_labels) == {"stable": 1, "canary": 2}
    assert b"max_batch_size { value: 16 }" in files["config/batching.config"]


def test_canary_context_serves_only_the_canary_version(
    spec_for: SpecFor, model_lock: ModelLock
) -> None:
    plan = _plan(spec_for(), model_lock, variant="canary")
    assert [(m.locked.model, m.locked.version) for m in plan.models] == [
        ("tiny", 2),
        ("inception", 3),
    ]
    served = {m.name: m for m in plan.served}
    assert served["tiny"].versions == (2,)
    assert served["tiny"].labels == (("canary", 2),)
    assert plan.tag != _plan(spec_for(), model_lock).tag


def test_canary_variant_needs_a_canary(spec_for: SpecFor, model_lock: ModelLock) -> None:
    with pytest.raises(ValueError, match="no canary"):
        _plan(spec_for(), model_lock, server="gpu-server", variant="canary")


def test_the_tag_follows_the_lock_not_the_files_on_disk(
    spec_for: SpecFor, model_lock: ModelLock, store: Path
) -> None:
    first = _plan(spec_for(), model_lock)
    assert first.tag.startswith("ctx-") and len(first.tag) == 24
    shutil.rmtree(store)  # a fresh clone: nothing fetched
    assert _plan(spec_for(), model_lock).tag == first.tag
    fake_store(store)
    (store / "tiny" / "1" / "saved_model.pb").write_bytes(b"a different export")
    assert _plan(spec_for(), model_lock).tag == first.tag
    # A new lock digest (a re-published version) is a new image.
    republished = ModelLock(dict(model_lock.versions))
    old = republished.versions[("tiny", 1)]
    republished.put(replace(old, digest="sha256:" + "ab" * 32))
    assert _plan(spec_for(), republished).tag != first.tag


def test_one_tag_formula_over_platform_and_base_digest(
    spec_for: SpecFor, model_lock: ModelLock
) -> None:
    """Two platforms times two base digests: four images, four tags (immutable registries)."""
    tags = set()
    for platform in ("linux/amd64", "linux/arm64"):
        spec = spec_for(**{"servestack:images": {"platform": platform}})
        for digest in ("ab", "cd"):
            base = {"tensorflow/serving:2.19.1": "sha256:" + digest * 32}
            tags.add(_plan(spec, model_lock, base_lock=base).tag)
    assert len(tags) == 4


def test_the_tag_covers_config_files_and_the_dockerfile(
    spec_for: SpecFor, model_lock: ModelLock
) -> None:
    plan = _plan(spec_for(), model_lock)
    document = ctx.tag_digest(plan.entries, plan.models, plan.base, plan.platform)
    assert document == plan.digest
    edited = tuple(
        replace(e, data=e.read() + b"\n# edit") if e.path == "Dockerfile" else e
        for e in plan.entries
    )
    assert ctx.tag_digest(edited, plan.models, plan.base, plan.platform) != plan.digest
    batching = spec_for(
        **{
            "servestack:servers": [
                {**_first_server(), "batching": {"maxBatchSize": 8}},
            ]
        }
    )
    assert _plan(batching, model_lock).tag != plan.tag


def _first_server() -> dict[str, object]:
    from tests.images.conftest import BASE_VALUES

    servers = BASE_VALUES["servestack:servers"]
    assert isinstance(servers, list)
    return dict(servers[0])


def test_gpu_pool_selects_the_gpu_base(spec_for: SpecFor, model_lock: ModelLock) -> None:
    gpu = _plan(spec_for(), model_lock, server="gpu-server")
    assert gpu.gpu
    assert gpu.base.tag == "2.19.1-gpu"
    assert gpu.build_args == {"BASE_REPOSITORY": "tensorflow/serving", "BASE_TAG": "2.19.1-gpu"}
    pinned = _plan(spec_for(), model_lock, base_lock=PINNED)
    assert pinned.build_args["BASE_TAG"] == f"2.19.1@{'sha256:' + 'cd' * 32}"


def test_a_version_missing_from_the_lock_is_a_config_error(
    spec_for: SpecFor, model_lock: ModelLock
) -> None:
    del model_lock.versions[("inception", 3)]
    with pytest.raises(ConfigError) as error:
        _plan(spec_for(), model_lock)
    assert error.value.key == "servestack:servers[0].models[1].versions"
    assert "inception version 3 is not in model_images/models.lock" in str(error.value)
    assert "servestack models publish --stack test" in str(error.value)


def test_a_version_locked_from_elsewhere_is_a_config_error(spec_for: SpecFor, store: Path) -> None:
    with pytest.raises(ConfigError) as error:
        _plan(spec_for(), lock_of(store, bucket="gs://other-bucket"))
    assert error.value.key == "servestack:servers[0].models[0].source"
    assert "locked from gs://other-bucket/tiny/1, not gs://test-models/tiny/1" in str(error.value)


def test_a_build_needs_every_version_fetched_with_its_locked_digest(
    spec_for: SpecFor, model_lock: ModelLock, store: Path
) -> None:
    spec = spec_for()
    plan = _plan(spec, model_lock)
    ctx.verify_models(image_target(spec), plan)  # as fetched: fine
    (store / "tiny" / "2" / "saved_model.pb").write_bytes(b"tampered")
    with pytest.raises(ConfigError) as error:
        ctx.verify_models(image_target(spec), plan)
    message = str(error.value)
    assert error.value.key == "servestack:servers[0].models[0].versions"
    assert "tiny version 2" in message and "differs from model_images/models.lock" in message
    assert "\n" not in message
    shutil.rmtree(store / "tiny" / "2")
    fake_saved_model(store / "tiny" / "2", "tiny-2")  # fetched again: as locked
    shutil.rmtree(store / "inception")
    with pytest.raises(ConfigError, match="inception version 3 is not fetched"):
        ctx.verify_models(image_target(spec), plan)


def test_repository_path_sources_build_from_the_repository(tmp_path: Path) -> None:
    from model_images.lock import read_lock as read_model_lock
    from tests.images.conftest import make_spec

    spec = make_spec(
        tmp_path / "unused-store",
        **{
            "servestack:servers": [
                {
                    "name": "tiny",
                    "nodePool": "cpu",
                    "models": [
                        {
                            "name": "tiny",
                            "source": {"path": "model_images/published/tiny"},
                            "versions": [1],
                        }
                    ],
                }
            ]
        },
    )
    plan = _plan(spec, read_model_lock(ROOT), server="tiny")
    (baked,) = plan.models
    assert baked.local == ROOT / "model_images/published/tiny/1"
    ctx.verify_models(image_target(spec), plan)


def test_write_context_copies_models_only_for_a_build(
    spec_for: SpecFor, model_lock: ModelLock, tmp_path: Path
) -> None:
    plan = _plan(spec_for(), model_lock)
    dest = tmp_path / "ctx" / "classify-stable"
    ctx.write_context(plan, dest, with_models=False)
    written = {
        p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()
    }
    assert written == _files(plan)
    ctx.write_context(plan, dest, with_models=True)
    assert (dest / "models/tiny/2/saved_model.pb").read_bytes() == b"graph tiny-2"
    paths = [dest, *dest.rglob("*")]
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in paths if p.is_file())
    assert all(p.stat().st_mode & 0o777 == 0o755 for p in paths if p.is_dir())
    assert {int(p.stat().st_mtime) for p in paths} == {ctx.CONTEXT_MTIME}
    (dest / "stray").write_text("x")
    ctx.write_context(plan, dest, with_models=True)  # current: left alone
    assert (dest / "stray").exists()
    (dest.parent / "classify-stable.hash").write_text("stale")
    ctx.write_context(plan, dest, with_models=True)
    assert not (dest / "stray").exists()

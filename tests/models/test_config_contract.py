"""The deploy path's TF Serving config and the built context, against the pinned serving API."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from infra.config.targets import image_target
from infra.images import context as ctx
from infra.images.baseimage import read_lock
from infra.preview.stackfile import available_stacks, load_spec
from model_images.check import check

pytestmark = pytest.mark.models
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("stack", available_stacks(ROOT))
def test_every_stack_model_config_parses_with_the_serving_api(stack: str) -> None:
    spec = load_spec(ROOT, stack)
    for server in spec.servers:
        variants: list[ctx.Variant] = ["stable", "canary"] if server.canary else ["stable"]
        for variant in variants:
            plan = ctx.plan_for(spec, server, variant, ROOT, read_lock(ROOT))
            text = next(e.read() for e in plan.entries if e.path == "config/models.config")
            parsed = text_format.Parse(text.decode(), model_server_config_pb2.ModelServerConfig())
            names = [c.name for c in parsed.model_config_list.config]
            assert names == sorted(m.name for m in server.models)


def test_a_built_context_bakes_versions_that_pass_the_same_gate(tmp_path: Path) -> None:
    """The published tiny versions, copied into a context as a build does, still pass."""
    spec = load_spec(ROOT, "local")
    plan = ctx.plan_for(spec, spec.servers[0], "stable", ROOT, read_lock(ROOT))
    ctx.verify_models(image_target(spec), plan)
    context_dir = tmp_path / "context"
    ctx.write_context(plan, context_dir, with_models=True)
    reports = check(context_dir / "models")
    assert [(r.model, r.version) for r in reports] == [("tiny", 1)]
    assert all(report.ok for report in reports), [r.problems for r in reports]

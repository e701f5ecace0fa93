"""The deploy path's TF Serving config against the models environment's serving API (2.21)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from infra.config import parse_stack
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
            plan = ctx.plan_context(spec, server, variant, ROOT, read_lock(ROOT))
            text = next(e.read() for e in plan.entries if e.path == "config/models.config")
            parsed = text_format.Parse(text.decode(), model_server_config_pb2.ModelServerConfig())
            names = [c.name for c in parsed.model_config_list.config]
            assert names == sorted(m.name for m in server.models)


def test_an_exported_store_feeds_the_build_context(tiny_store: Path) -> None:
    spec = parse_stack(
        "local",
        {
            "servestack:labels": {"team": "ml", "env": "local", "cost-center": "cc-1"},
            "servestack:kubernetesVersion": "1.34",
            "servestack:local": {"kubeconfigContext": "kind-x"},
            "servestack:modelStore": str(tiny_store),
            "servestack:servers": [
                {
                    "name": "tiny",
                    "models": [{"name": "tiny", "source": {"recipe": "tiny"}, "versions": [1, 2]}],
                }
            ],
        },
    )
    plan = ctx.plan_context(spec, spec.servers[0], "stable", ROOT, read_lock(ROOT))
    assert plan.pending == ()
    manifest = json.loads(next(e.read() for e in plan.entries if e.path == "config/manifest.json"))
    assert [m["state"] for m in manifest["models"]] == ["exported", "exported"]
    paths = {e.path for e in plan.entries}
    assert "models/tiny/2/assets.extra/tf_serving_warmup_requests" in paths
    # The context's models pass the same gate as the store they came from.
    context_dir = tiny_store.parent / "context"
    ctx.write_context(plan, context_dir)
    assert all(report.ok for report in check(context_dir / "models"))

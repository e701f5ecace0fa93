"""The canary verdict as a function of numbers, and the stack-file edits it leads to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.config import CanaryAnalysis
from infra.ops.canary_analysis import Scope, TrackStats, judge, queries
from infra.ops.canary_edit import abort, advance, next_action
from infra.ops.promote import PromoteError, validate
from infra.preview.stackfile import load_spec
from tests.serving.helpers import with_server

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = CanaryAnalysis.model_validate(
    {"minRequests": 100, "maxErrorRateIncrease": 1.0, "maxLatencyRatio": 1.25}
)
STABLE = TrackStats(requests=1000, errors=10, p99_micros=40_000)


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


def test_a_canary_like_stable_passes() -> None:
    verdict = judge(THRESHOLDS, STABLE, TrackStats(200, 2, 42_000))
    assert verdict.decision == "promote"


@pytest.mark.parametrize(
    ("canary", "broken"),
    [
        (TrackStats(200, 5, 40_000), "error rate"),  # 2.5 % vs 1 %: +1.5 points
        (TrackStats(200, 2, 51_000), "p99 latency"),  # x1.275
    ],
)
def test_each_threshold_aborts_on_its_own(canary: TrackStats, broken: str) -> None:
    verdict = judge(THRESHOLDS, STABLE, canary)
    assert verdict.decision == "abort"
    assert len(verdict.reasons) == 1 and broken in verdict.reasons[0]


def test_thresholds_are_inclusive() -> None:
    at_limits = TrackStats(200, 4, 50_000)  # exactly +1.0 point, exactly x1.25
    assert judge(THRESHOLDS, STABLE, at_limits).decision == "promote"


def test_too_few_canary_requests_wait_even_when_they_all_failed() -> None:
    verdict = judge(THRESHOLDS, STABLE, TrackStats(99, 99, 900_000))
    assert verdict.decision == "wait"


def test_queries_select_the_server_model_and_track() -> None:
    exprs = queries(Scope("serving", "resnet", "resnet"), "canary", "10m")
    selector = 'namespace="serving",job="resnet",model_name="resnet",track="canary"'
    assert exprs["requests"] == (
        f"sum(increase(:tensorflow:serving:request_count{{{selector}}}[10m]))"
    )
    assert 'status!="OK"' in exprs["errors"]
    assert exprs["p99"].startswith("histogram_quantile(0.99, sum by (le) (rate(")
    assert ":tensorflow:serving:request_latency_bucket{" in exprs["p99"]


def test_a_complete_promotion_serves_the_canary_version(root: Path) -> None:
    spec = load_spec(root, "staging")
    steps: list[tuple[str, int | None]] = []
    while spec.servers[1].canary is not None and len(steps) < 10:
        edit = advance(root, spec, "resnet")
        validate(root, edit.promotion, "staging")
        steps.append((edit.action, edit.weight))
        (root / edit.promotion.target_file).write_text(edit.promotion.new_text)
        spec = load_spec(root, "staging")
    assert steps == [("step", 30), ("step", 40), ("step", 50), ("complete", None)]
    assert spec.servers[1].models[0].versions == [4]
    text = (root / "stacks" / "Pulumi.staging.yaml").read_text()
    assert "# Staging: prod's shape at a smaller size" in text  # comments survive


def test_abort_removes_only_the_canary_block(root: Path) -> None:
    spec = load_spec(root, "staging")
    edit = abort(root, spec, "resnet")
    lines = edit.promotion.unified_diff().splitlines()
    removed = [line for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    assert removed[0] == "-      canary:"
    assert all(line.startswith("-        ") for line in removed[1:])
    assert added == []
    validate(root, edit.promotion, "staging")


def test_a_canary_without_analysis_has_no_step() -> None:
    spec = with_server(load_spec(ROOT, "staging"), "resnet", canary={"version": 4, "weight": 20})
    with pytest.raises(PromoteError, match=r"canary\.analysis is not set"):
        next_action(spec.servers[1])

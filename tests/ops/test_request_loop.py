"""The in-cluster request loop: its verdict, its requests, and the Job that runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.ops import request_loop, smoke
from infra.ops.request_loop import LoopConfig, available_versions, predict_body, run

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "scripts" / "e2e" / "request-loop-job.yaml"
IMAGE = (Path(__file__).parent / "data" / "smoke.jpg").read_bytes()


def _status(*versions: int) -> dict[str, Any]:
    return {
        "model_version_status": [
            {"version": str(v), "state": "AVAILABLE", "status": {"error_code": "OK"}}
            for v in versions
        ]
    }


class Script:
    """A transport answering from a script of status documents (one per round)."""

    def __init__(
        self, rounds: list[dict[str, Any] | None], failing_predicts: frozenset[int] = frozenset()
    ):
        self.rounds = rounds
        self.failing = failing_predicts
        self.calls: list[tuple[str, str, bytes | None]] = []
        self.round = 0

    def __call__(self, method: str, url: str, body: bytes | None) -> tuple[int, Any]:
        self.calls.append((method, url, body))
        if method == "POST":
            if self.round in self.failing:
                raise OSError("connection refused")
            return 200, {"predictions": [{"classes": ["a"], "scores": [1.0]}]}
        answer = self.rounds[min(self.round, len(self.rounds) - 1)]
        self.round += 1
        return (200, answer) if answer is not None else (503, None)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.now += max(seconds, 1.0)


def _config(**overrides: Any) -> LoopConfig:
    values: dict[str, Any] = {
        "rest": "http://tiny.serving.svc.cluster.local:8501/",
        "model": "tiny",
        "image": IMAGE,
        "from_version": 1,
        "until_version": 2,
        "settle": 3,
        "deadline_seconds": 100.0,
        "interval_seconds": 0.2,
    }
    values.update(overrides)
    return LoopConfig(**values)


def _run(script: Script, **overrides: Any) -> tuple[dict[str, Any], list[str]]:
    clock = Clock()
    said: list[str] = []
    summary = run(_config(**overrides), script, clock=clock, pause=clock.pause, say=said.append)
    return summary, said


def test_a_clean_rollout_settles_with_zero_failures() -> None:
    script = Script([_status(1), _status(1), _status(1, 2), _status(2)])
    summary, said = _run(script)
    assert summary["ok"] is True
    assert summary["failed"] == 0
    assert summary["versionsSeen"] == [1, 2]
    # Four rounds to the first v2-only answer, then three in a row settle it: six rounds.
    assert summary["requests"] == 2 * 6
    assert said == ["request-loop: serving answers; loop running"]
    method, url, body = script.calls[0]
    assert (method, url) == (
        "POST",
        "http://tiny.serving.svc.cluster.local:8501/v1/models/tiny:predict",
    )
    assert body == predict_body(IMAGE)
    assert script.calls[1][:2] == (
        "GET",
        "http://tiny.serving.svc.cluster.local:8501/v1/models/tiny",
    )


def test_one_failed_request_fails_the_loop_and_is_named() -> None:
    summary, _ = _run(Script([_status(1), _status(2)], failing_predicts=frozenset({1})))
    assert summary["ok"] is False
    assert summary["failed"] == 1
    assert summary["errors"] == ["predict: connection refused"]


def test_an_http_error_on_the_status_counts_as_a_failure() -> None:
    summary, _ = _run(Script([_status(1), None, _status(2)]))
    assert (summary["ok"], summary["failed"], summary["errors"]) == (False, 1, ["status: HTTP 503"])


def test_a_loop_that_never_saw_the_old_version_did_not_span_the_rollout() -> None:
    summary, _ = _run(Script([_status(2)]))
    assert summary["settled"] is True
    assert summary["spannedRollout"] is False
    assert summary["ok"] is False


def test_the_deadline_bounds_a_rollout_that_never_settles() -> None:
    summary, _ = _run(Script([_status(1)]), deadline_seconds=10.0)
    assert summary["settled"] is False
    assert summary["ok"] is False
    assert summary["requests"] == 2 * 10


def test_the_request_follows_the_serving_contract() -> None:
    assert (request_loop.SIGNATURE, request_loop.INPUT_KEY) == (smoke.SIGNATURE, smoke.INPUT_KEY)
    body = json.loads(predict_body(b"\xff\xd8jpeg"))
    assert body == {
        "signature_name": "serving_default",
        "instances": [{"image_bytes": {"b64": "/9hqcGVn"}}],
    }
    assert available_versions(
        {
            "model_version_status": [
                {"version": "1", "state": "END"},
                {"version": "2", "state": "AVAILABLE"},
            ]
        }
    ) == {2}


class _FakeServing(BaseHTTPRequestHandler):
    """TF Serving's two REST routes the loop uses; version 2 once five statuses were served."""

    statuses = 0

    def do_GET(self) -> None:
        type(self).statuses += 1
        versions = (1,) if type(self).statuses < 5 else (2,)
        self._answer(200, _status(*versions))

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        ok = self.path == "/v1/models/tiny:predict" and body["instances"][0]["image_bytes"]["b64"]
        self._answer(200 if ok else 400, {"predictions": [[0.5]]})

    def _answer(self, code: int, document: dict[str, Any]) -> None:
        data = json.dumps(document).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _FakeServing.statuses = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _FakeServing)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_the_script_runs_alone_with_the_standard_library(server: str, tmp_path: Path) -> None:
    # As in the Job: the file on its own, not the package.
    alone = tmp_path / "request_loop.py"
    alone.write_bytes(Path(request_loop.__file__).read_bytes())
    image = tmp_path / "smoke.jpg"
    image.write_bytes(IMAGE)
    args = [sys.executable, "-I", str(alone), f"--rest={server}", "--model=tiny",
            f"--image={image}", "--from-version=1", "--until-version=2", "--settle=3",
            "--interval=0", "--deadline=60"]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "request-loop: serving answers; loop running"
    summary = json.loads(lines[-1])
    assert summary["ok"] and summary["failed"] == 0 and summary["versionsSeen"] == [1, 2]


def _job() -> dict[str, Any]:
    document = yaml.safe_load(JOB.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_the_job_manifest_is_valid_for_the_local_kubernetes_version() -> None:
    from infra.preview.stackfile import load_spec

    version = f"{load_spec(ROOT, 'local').kubernetes_version}.0"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kubernetes-validate"), "--strict", "-k", version,
         "--quiet", str(JOB)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_job_targets_the_local_stacks_service_and_fails_without_retries() -> None:
    from infra.preview.stackfile import load_spec
    from infra.serving.layout import REST_PORT

    spec = load_spec(ROOT, "local")
    server = spec.servers[0]
    job = _job()
    assert job["spec"]["backoffLimit"] == 0
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    args = dict(a.removeprefix("--").split("=", 1) for a in container["args"])
    host = f"{server.name}.{spec.serving.namespace}.svc.cluster.local:{REST_PORT}"
    assert args["rest"] == f"http://{host}"
    assert args["model"] == server.models[0].name
    assert container["command"] == ["python", f"/loop/{Path(request_loop.__file__).name}"]
    assert args["image"] == "/loop/smoke.jpg"
    # The loop must outlast its own deadline only by the Job's.
    assert float(args["deadline"]) < job["spec"]["activeDeadlineSeconds"]
    assert pod["securityContext"]["runAsNonRoot"] is True

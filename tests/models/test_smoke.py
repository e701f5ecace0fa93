"""`servestack smoke` against an in-process PredictionService serving the real `tiny` model.

The gRPC server answers through model_images.tfserving (the SavedModelBundle path TF Serving
takes); a small HTTP server answers TF Serving's model-status call. Both on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
from tensorflow_serving.apis import prediction_service_pb2_grpc
from typer.testing import CliRunner

from infra.cli.app import app
from infra.ops import smoke
from model_images import contract
from model_images.tfserving import SavedModelBundle, ServingError

pytestmark = pytest.mark.models
ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "tests" / "ops" / "data" / "smoke.jpg"
runner = CliRunner()


class TinyPredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):  # type: ignore[misc]
    """Predict as TF Serving's SavedModelBundle does; other models are NOT_FOUND."""

    def __init__(self, model_dir: Path) -> None:
        self.bundle = SavedModelBundle(model_dir)

    def Predict(self, request: Any, context: Any) -> Any:  # noqa: N802
        if request.model_spec.name != "tiny":
            context.abort(
                grpc.StatusCode.NOT_FOUND, f"Servable not found: {request.model_spec.name}"
            )
        try:
            return self.bundle.predict(request)
        except ServingError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))


def _status_handler(state: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/v1/models/tiny":
                self.send_error(404, "Servable not found")
                return
            body = json.dumps(
                {
                    "model_version_status": [
                        {
                            "version": "1",
                            "state": state,
                            "status": {"error_code": "OK", "error_message": ""},
                        }
                    ]
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@pytest.fixture()
def grpc_address(tiny_store: Path) -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        TinyPredictionService(tiny_store / "tiny" / "1"), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


def _rest(state: str) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _status_handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def rest_url() -> Iterator[str]:
    yield from _rest("AVAILABLE")


@pytest.fixture()
def rest_loading() -> Iterator[str]:
    yield from _rest("LOADING")


def test_contract_constants_match_the_model_images_contract() -> None:
    assert (smoke.SIGNATURE, smoke.INPUT_KEY) == (contract.SIGNATURE, contract.INPUT_KEY)
    assert (smoke.OUTPUT_CLASSES, smoke.OUTPUT_SCORES) == (
        contract.OUTPUT_CLASSES,
        contract.OUTPUT_SCORES,
    )
    assert smoke.TOP_K == contract.TOP_K


def test_predict_returns_five_known_labels(grpc_address: str, tiny_store: Path) -> None:
    pairs = smoke.predict(grpc_address, "tiny", IMAGE.read_bytes())
    labels = (tiny_store / "tiny" / "1" / "assets" / contract.LABELS_ASSET).read_text().split()
    assert len(pairs) == 5
    assert all(label in labels for label, _ in pairs)
    scores = [score for _, score in pairs]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_smoke_command_prints_five_labels_and_status(
    grpc_address: str, rest_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(
        app,
        [
            "smoke",
            "--stack",
            "dev",
            "--server",
            "tiny",
            "--image",
            str(IMAGE),
            "--address",
            grpc_address,
            "--rest",
            rest_url,
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    predictions = [line for line in lines if " : " in line]
    assert len(predictions) == 5
    assert lines[-1] == f"model tiny: version(s) [1] AVAILABLE at {rest_url}"


def test_smoke_fails_when_no_version_is_available(
    grpc_address: str, rest_loading: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(
        app,
        [
            "smoke",
            "--stack",
            "dev",
            "--server",
            "tiny",
            "--image",
            str(IMAGE),
            "--address",
            grpc_address,
            "--rest",
            rest_loading,
        ],
    )
    assert result.exit_code == 1
    assert "has no AVAILABLE version (versions: v1 LOADING)" in result.stderr


def test_smoke_fails_clearly_when_the_server_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(
        app,
        [
            "smoke",
            "--stack",
            "dev",
            "--server",
            "tiny",
            "--image",
            str(IMAGE),
            "--address",
            "127.0.0.1:1",
            "--timeout",
            "3",
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "servestack: smoke dev/tiny: Predict to 127.0.0.1:1 failed: UNAVAILABLE"
    )


def test_unknown_model_is_not_found(grpc_address: str) -> None:
    with pytest.raises(smoke.SmokeError, match="NOT_FOUND"):
        smoke.predict(grpc_address, "other", IMAGE.read_bytes())

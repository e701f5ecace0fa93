"""Post-deploy smoke test: one gRPC Predict with an image, and the model's status over REST.

The request is the classic TF Serving image client's: a batch of one encoded image
(JPEG/PNG bytes) under the serving signature's input, answered with the top classes and
their scores. gRPC needs `tensorflow-serving-api` (and so TensorFlow), which live in the
models environment; they are imported only when a request is actually sent.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The serving contract of every exported model (see model_images/contract.py).
SIGNATURE = "serving_default"
INPUT_KEY = "image_bytes"
OUTPUT_CLASSES = "classes"
OUTPUT_SCORES = "scores"
TOP_K = 5
DEFAULT_TIMEOUT_SECONDS = 20.0


class SmokeError(Exception):
    """A failed smoke check, as one line for the user."""


@dataclass(frozen=True)
class ModelVersionStatus:
    version: int
    state: str
    error: str = ""


def top_k(
    classes: Sequence[str], scores: Sequence[float], k: int = TOP_K
) -> list[tuple[str, float]]:
    """The k best (label, score) pairs, best first; ties keep the server's order."""
    if len(classes) != len(scores):
        raise SmokeError(f"response has {len(classes)} classes but {len(scores)} scores")
    pairs = list(zip(classes, (float(s) for s in scores), strict=True))
    return sorted(pairs, key=lambda pair: -pair[1])[:k]


def format_predictions(pairs: Sequence[tuple[str, float]]) -> list[str]:
    """`score : label` lines, as the original image client printed them."""
    return [f"{score:.6f} : {label}" for label, score in pairs]


def parse_status(document: Mapping[str, Any]) -> list[ModelVersionStatus]:
    """TF Serving's `GET /v1/models/<name>` answer as typed rows."""
    rows = []
    for entry in document.get("model_version_status") or []:
        status = entry.get("status") or {}
        rows.append(
            ModelVersionStatus(
                version=int(entry.get("version", 0)),
                state=str(entry.get("state", "UNKNOWN")),
                error=str(status.get("error_message", "")),
            )
        )
    return sorted(rows, key=lambda r: r.version)


def require_available(model: str, rows: Sequence[ModelVersionStatus]) -> list[int]:
    """The AVAILABLE versions; a model with none fails the smoke test."""
    available = [r.version for r in rows if r.state == "AVAILABLE"]
    if not available:
        states = ", ".join(f"v{r.version} {r.state} {r.error}".strip() for r in rows) or "none"
        raise SmokeError(f"model {model!r} has no AVAILABLE version (versions: {states})")
    return available


def model_status(
    rest_url: str, model: str, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> list[ModelVersionStatus]:
    """Ask TF Serving's REST API for the model's version states."""
    url = f"{rest_url.rstrip('/')}/v1/models/{model}"
    if not url.startswith(("http://", "https://")):
        raise SmokeError(f"--rest must be an http(s) URL, not {rest_url!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            document = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        raise SmokeError(f"GET {url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SmokeError(f"GET {url}: {reason}") from None
    except json.JSONDecodeError:
        raise SmokeError(f"GET {url}: the answer is not JSON") from None
    return parse_status(document)


def predict(
    address: str,
    model: str,
    image: bytes,
    *,
    signature: str = SIGNATURE,
    input_key: str = INPUT_KEY,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[tuple[str, float]]:
    """Send one Predict over gRPC and return the top classes with scores."""
    try:
        import grpc
        from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
        from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
    except ImportError as error:
        raise SmokeError(
            f"gRPC Predict needs tensorflow-serving-api ({error.name} is missing): "
            "run in the models environment"
        ) from None
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    request.inputs[input_key].CopyFrom(
        tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING,
            tensor_shape=tensor_shape_pb2.TensorShapeProto(
                dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]
            ),
            string_val=[image],
        )
    )
    channel = grpc.insecure_channel(address)
    try:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        response = stub.Predict(request, timeout=timeout)
    except grpc.RpcError as error:
        code = error.code().name if hasattr(error, "code") else "UNKNOWN"
        details = error.details() if hasattr(error, "details") else str(error)
        raise SmokeError(f"Predict to {address} failed: {code}: {details}") from None
    finally:
        channel.close()
    outputs = response.outputs
    for key in (OUTPUT_CLASSES, OUTPUT_SCORES):
        if key not in outputs:
            raise SmokeError(f"Predict answer lacks the {key!r} output (has {sorted(outputs)})")
    from tensorflow import make_ndarray

    # Servers pack tensors either in typed fields or in tensor_content; make_ndarray reads both.
    classes = [
        c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c)
        for c in make_ndarray(outputs[OUTPUT_CLASSES]).reshape(-1).tolist()
    ]
    scores = [float(s) for s in make_ndarray(outputs[OUTPUT_SCORES]).reshape(-1).tolist()]
    return top_k(classes, scores)


def address_from_outputs(outputs: Mapping[str, Any], server: str) -> tuple[str | None, str | None]:
    """(gRPC address, REST URL) of a server from the stack outputs, when the stack exports them.

    Looks for `endpoints.<server>.{grpc,rest}` (the composition's export); an internal or
    cluster-only service has none, and the caller must pass --address (e.g. a port-forward).
    """
    endpoints = outputs.get("endpoints")
    entry = endpoints.get(server) if isinstance(endpoints, Mapping) else None
    if not isinstance(entry, Mapping):
        return None, None
    grpc_address = entry.get("grpc")
    rest = entry.get("rest")
    return (
        str(grpc_address) if grpc_address else None,
        str(rest) if rest else None,
    )

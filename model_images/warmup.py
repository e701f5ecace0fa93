"""Warmup records (PredictionLog of PredictRequest) TF Serving replays before serving a version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np  # type: ignore[import-not-found, unused-ignore]
import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

from model_images import contract


def sample_jpeg(size: int = 64, seed: int = 0) -> bytes:
    """A deterministic RGB gradient image, JPEG-encoded (what a client would send)."""
    ramp = np.linspace(0, 255, size, dtype=np.float32)
    red = np.tile(ramp[None, :], (size, 1))
    green = np.tile(ramp[:, None], (1, size))
    blue = np.full((size, size), (seed * 37) % 256, dtype=np.float32)
    pixels = np.stack([red, green, blue], axis=-1).astype(np.uint8)
    data: bytes = tf.io.encode_jpeg(pixels, quality=90).numpy()
    return data


def predict_request(model: str, inputs: dict[str, Any]) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name=model, signature_name=contract.SIGNATURE)
    )
    for key, value in sorted(inputs.items()):
        request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
    return request


def image_requests(
    model: str, count: int = contract.WARMUP_RECORDS
) -> list[predict_pb2.PredictRequest]:
    """Requests of batch size 1..count with encoded images, matching the image contract."""
    return [
        predict_request(
            model,
            {
                contract.INPUT_KEY: np.array(
                    [sample_jpeg(seed=i) for i in range(batch)], dtype=object
                )
            },
        )
        for batch in range(1, count + 1)
    ]


def requests_for_signature_def(model: str, signature: Any) -> list[predict_pb2.PredictRequest]:
    """One batch-1 request from a SignatureDef: strings get a JPEG, numbers zeros."""
    inputs: dict[str, Any] = {}
    for key, info in sorted(signature.inputs.items()):
        dims = [] if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim]
        shape = [1 if size < 0 else size for size in dims]
        dtype = tf.dtypes.as_dtype(info.dtype)
        if dtype == tf.string:
            inputs[key] = np.full(shape, sample_jpeg(), dtype=object)
        else:
            inputs[key] = np.zeros(shape, dtype=dtype.as_numpy_dtype)
    return [predict_request(model, inputs)]


def write(version_dir: Path, requests: list[predict_pb2.PredictRequest]) -> Path:
    """Write the records to `<version>/assets.extra/tf_serving_warmup_requests`."""
    path = version_dir / contract.WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for request in requests:
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString())
    return path


def read(version_dir: Path) -> list[prediction_log_pb2.PredictionLog]:
    path = version_dir / contract.WARMUP_FILE
    records = []
    for raw in tf.data.TFRecordDataset(str(path)):
        records.append(prediction_log_pb2.PredictionLog.FromString(raw.numpy()))
    return records

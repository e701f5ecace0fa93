"""The serving contract of every exported model: names shared by export, check and clients."""

from __future__ import annotations

SIGNATURE = "serving_default"
# One batch of encoded images (JPEG or PNG bytes), as a gRPC client sends them.
INPUT_KEY = "image_bytes"
OUTPUT_CLASSES = "classes"
OUTPUT_SCORES = "scores"
TOP_K = 5
LABELS_ASSET = "labels.txt"
# TF Serving replays these PredictionLog records before it marks a version available.
WARMUP_FILE = "assets.extra/tf_serving_warmup_requests"
WARMUP_RECORDS = 2


def client_contract(model: str) -> str:
    """What a client sends and gets back, as `models check` and the README show it."""
    return "\n".join(
        [
            "Clients send (the image contract):",
            f"  REST  POST /v1/models/{model}:predict  (or /v1/models/{model}/versions/N:predict)",
            f'        {{"instances": [{{"{INPUT_KEY}": {{"b64": "<base64 of a JPEG or PNG>"}}}}]}}',
            f'  gRPC  PredictionService/Predict  model_spec {{ name: "{model}" '
            f'signature_name: "{SIGNATURE}" }}',
            f'        inputs["{INPUT_KEY}"]: DT_STRING, shape [1] (the encoded image bytes)',
            f"  Both answer {OUTPUT_CLASSES} (string [1, {TOP_K}]) and "
            f"{OUTPUT_SCORES} (float [1, {TOP_K}]).",
        ]
    )

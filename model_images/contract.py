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

"""`inception_v3` and `resnet50` from keras.applications, ImageNet weights or random ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

# keras.applications' ImageNet class index (downloaded beside the weights).
_CLASS_INDEX = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
_APPS: dict[str, tuple[Callable[..., Any], Callable[[Any], Any], int]] = {
    "inception_v3": (
        keras.applications.InceptionV3,
        keras.applications.inception_v3.preprocess_input,
        299,
    ),
    "resnet50": (
        keras.applications.ResNet50,
        keras.applications.resnet50.preprocess_input,
        224,
    ),
}
CLASSES = 1000


def build(recipe: str, weights: str, version: int) -> tuple[Any, list[str], int, Any]:
    """(model, labels, image size, preprocess); weights `none` needs no download."""
    constructor, preprocess, size = _APPS[recipe]
    keras.utils.set_random_seed(version)
    model = constructor(weights=None if weights == "none" else weights, classes=CLASSES)
    return model, _labels(weights), size, preprocess


def _labels(weights: str) -> list[str]:
    if weights == "none":
        return [f"class_{index:04d}" for index in range(CLASSES)]
    path = keras.utils.get_file("imagenet_class_index.json", _CLASS_INDEX, cache_subdir="models")
    index = json.loads(Path(path).read_text(encoding="utf-8"))
    return [index[str(i)][1] for i in range(CLASSES)]

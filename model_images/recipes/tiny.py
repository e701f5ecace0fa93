"""`tiny`: a small convolutional image classifier with fixed-seed weights, exported in seconds."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

LABELS = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
IMAGE_SIZE = 32
SEED = 20260101


def build(weights: str, version: int) -> tuple[Any, list[str], int, Any]:
    """(model, labels, image size, preprocess); weights seeded per version, so versions differ."""
    if weights != "none":
        raise ValueError("the tiny recipe has no pretrained weights; use --weights none")
    keras.utils.set_random_seed(SEED + version)
    model = keras.Sequential(
        [
            keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3)),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(len(LABELS), activation="softmax"),
        ],
        name="tiny",
    )
    return model, list(LABELS), IMAGE_SIZE, _preprocess


def _preprocess(images: tf.Tensor) -> tf.Tensor:
    return images / 255.0

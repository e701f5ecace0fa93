"""The export servestack wrote before it followed Keras 3's export path: the regression fixture.

A Keras 3 model held by a bare `tf.Module` and saved with `tf.saved_model.save`: the TF2
Python loader runs it, TF Serving's SavedModelBundle loader cannot (the serving graph reads
variable handles the checkpoint never restores; tensorflow/serving#2250,
keras-team/keras#20095). Kept only so the gate is proven to reject it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tensorflow as tf

from model_images import contract, warmup
from model_images.recipes import tiny


class _LegacyClassifier(tf.Module):  # type: ignore[misc]
    def __init__(self, model: Any, labels: list[str]) -> None:
        super().__init__()
        self.model = model
        self.labels = tf.constant(labels)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=contract.INPUT_KEY)])  # type: ignore[misc]
    def serve(self, image_bytes: tf.Tensor) -> dict[str, tf.Tensor]:
        def decode(data: tf.Tensor) -> tf.Tensor:
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
            image = tf.image.resize(tf.cast(image, tf.float32), [tiny.IMAGE_SIZE] * 2)
            image.set_shape([tiny.IMAGE_SIZE, tiny.IMAGE_SIZE, 3])
            return image

        images = tf.map_fn(
            decode,
            image_bytes,
            fn_output_signature=tf.TensorSpec([tiny.IMAGE_SIZE, tiny.IMAGE_SIZE, 3], tf.float32),
        )
        scores, indices = tf.math.top_k(self.model(images / 255.0, training=False), k=5)
        return {
            contract.OUTPUT_CLASSES: tf.gather(self.labels, indices),
            contract.OUTPUT_SCORES: scores,
        }


def legacy_export(directory: Path) -> Path:
    """Write tiny version 1 the old way, with its labels asset and warmup records."""
    model, labels, _, _ = tiny.build("none", 1)
    module = _LegacyClassifier(model, labels)
    tf.saved_model.save(
        module,
        str(directory),
        signatures={contract.SIGNATURE: module.serve.get_concrete_function()},
    )
    (directory / "assets").mkdir(exist_ok=True)
    (directory / "assets" / contract.LABELS_ASSET).write_text("\n".join(labels) + "\n")
    warmup.write(directory, warmup.image_requests("tiny"))
    return directory

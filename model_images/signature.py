"""The serving signature every recipe exports: encoded image bytes in, top-k classes out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tensorflow as tf

from model_images import contract

Preprocess = Callable[[tf.Tensor], tf.Tensor]


class ImageClassifier(tf.Module):  # type: ignore[misc]
    """Wraps a Keras classifier so its SavedModel decodes JPEG/PNG bytes itself."""

    def __init__(
        self,
        model: Any,
        labels: Sequence[str],
        labels_file: Path,
        image_size: int,
        preprocess: Preprocess,
        top_k: int = contract.TOP_K,
    ) -> None:
        super().__init__()
        self.model = model
        self.labels = tf.constant(list(labels))
        # Tracked as an asset so the SavedModel carries assets/labels.txt.
        self.labels_asset = tf.saved_model.Asset(str(labels_file))
        self._size = image_size
        self._preprocess = preprocess
        self._top_k = min(top_k, len(labels))

    def _decode(self, data: tf.Tensor) -> tf.Tensor:
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        image = tf.image.resize(tf.cast(image, tf.float32), [self._size, self._size])
        image.set_shape([self._size, self._size, 3])
        return image

    @tf.function(  # type: ignore[untyped-decorator]
        input_signature=[tf.TensorSpec([None], tf.string, name=contract.INPUT_KEY)]
    )
    def serve(self, image_bytes: tf.Tensor) -> dict[str, tf.Tensor]:
        images = tf.map_fn(
            self._decode,
            image_bytes,
            fn_output_signature=tf.TensorSpec([self._size, self._size, 3], tf.float32),
        )
        probabilities = self.model(self._preprocess(images), training=False)
        scores, indices = tf.math.top_k(probabilities, k=self._top_k)
        return {
            contract.OUTPUT_CLASSES: tf.gather(self.labels, indices),
            contract.OUTPUT_SCORES: scores,
        }


def save(module: ImageClassifier, directory: Path) -> None:
    """Write the SavedModel with `serving_default` bound to the image signature."""
    tf.saved_model.save(
        module,
        str(directory),
        signatures={contract.SIGNATURE: module.serve.get_concrete_function()},
    )

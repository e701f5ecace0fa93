"""The serving signature every recipe exports: encoded image bytes in, top-k classes out.

The SavedModel is written through Keras 3's own export path (`keras.export.ExportArchive`),
which saves exactly the variables the serving function captures. Wrapping a Keras 3 model in
a bare `tf.Module` does not: its checkpoint misses the variables the graph reads, which the TF2
Python loader tolerates but TF Serving's C++ SavedModelBundle loader does not ("Could not find
variable ..."; tensorflow/serving#2250, keras-team/keras#20095). `model_images.tfserving` is
the gate that loads exports the way TF Serving does.

Labels travel as a SavedModel asset (`assets/labels.txt`) read by a lookup table, so the TF1
loader's asset and table-initialiser path is exercised too (TF Serving feeds asset paths into
the init op; tensorflow/cc/saved_model/loader.cc, RunInitOp).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from model_images import contract

Preprocess = Callable[[tf.Tensor], tf.Tensor]


class _Labels(tf.Module):  # type: ignore[misc]
    """Class names by index, read from the labels asset when the SavedModel is loaded."""

    def __init__(self, labels_file: Path) -> None:
        super().__init__()
        self.asset = tf.saved_model.Asset(str(labels_file))
        initializer = tf.lookup.TextFileInitializer(
            self.asset,
            key_dtype=tf.int64,
            key_index=tf.lookup.TextFileIndex.LINE_NUMBER,
            value_dtype=tf.string,
            value_index=tf.lookup.TextFileIndex.WHOLE_LINE,
        )
        self.table = tf.lookup.StaticHashTable(initializer, default_value="")


def image_serving_fn(
    model: Any, labels: _Labels, image_size: int, preprocess: Preprocess, top_k: int
) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """Decode a batch of JPEG/PNG bytes, classify, return the top-k class names and scores."""

    def decode(data: tf.Tensor) -> tf.Tensor:
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        image = tf.image.resize(tf.cast(image, tf.float32), [image_size, image_size])
        image.set_shape([image_size, image_size, 3])
        return image

    def serve(image_bytes: tf.Tensor) -> dict[str, tf.Tensor]:
        images = tf.map_fn(
            decode,
            image_bytes,
            fn_output_signature=tf.TensorSpec([image_size, image_size, 3], tf.float32),
        )
        probabilities = model(preprocess(images), training=False)
        scores, indices = tf.math.top_k(probabilities, k=top_k)
        return {
            contract.OUTPUT_CLASSES: labels.table.lookup(tf.cast(indices, tf.int64)),
            contract.OUTPUT_SCORES: scores,
        }

    return serve


def export_image_classifier(
    model: Any,
    labels: Sequence[str],
    labels_file: Path,
    image_size: int,
    preprocess: Preprocess,
    directory: Path,
    top_k: int = contract.TOP_K,
) -> None:
    """Write the SavedModel with `serving_default` bound to the image signature."""
    labels_file.write_text("\n".join(labels) + "\n", encoding="utf-8")
    table = _Labels(labels_file)
    archive = keras.export.ExportArchive()
    # track() records the model's variables and, for a tf.Module, its lookup tables and
    # assets, so the checkpoint restores every handle the serving graph reads.
    archive.track(model)
    archive.track(table)
    archive.add_endpoint(
        name=contract.SIGNATURE,
        fn=image_serving_fn(model, table, image_size, preprocess, min(top_k, len(labels))),
        input_signature=[tf.TensorSpec([None], tf.string, name=contract.INPUT_KEY)],
    )
    archive.write_out(str(directory), verbose=False)

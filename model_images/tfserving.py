"""Load and query a SavedModel version the way TensorFlow Serving 2.19 does, in Python.

TF Serving does not use the TF2 Python loader (`tf.saved_model.load`). Each version becomes a
SavedModelBundle: the MetaGraphDef tagged `serve` imported into a TF1 session, variables
restored from the checkpoint, the init op run with the asset paths fed, then every warmup
record replayed through the Predict path. `tf.compat.v1.saved_model.loader.load` follows the
same steps as the C++ `LoadSavedModel` (it is also what `saved_model_cli run` uses), so a
model that only the TF2 loader can run fails here as it fails in the server.

Sources followed (tensorflow/serving at tag 2.19.1):
- servables/tensorflow/saved_model_bundle_factory.cc:125-131: tags default to {"serve"}.
- servables/tensorflow/saved_model_warmup_util.cc:78-85: warmup file at
  assets.extra/tf_serving_warmup_requests, optional; :113-127: every record is parsed and
  executed, an error fails the load, more than 1000 records (kMaxNumRecords) fail the load.
- servables/tensorflow/saved_model_warmup.cc:43-76: predict/classify/regress/multi-inference
  logs run; session-run and predict-streamed logs are Unimplemented (a failed load).
- servables/tensorflow/predict_util.cc:85-92: empty signature name means serving_default,
  an unknown one is FailedPrecondition; :51-73 VerifyRequestInputsSize; :119-160
  PreProcessPrediction (output_filter, else every signature output); :107 Session::Run on
  the signature's tensor names.
- tensorflow/cc/saved_model/util.cc GetInputValues: every signature input is taken from the
  request or the signature's defaults; request keys the signature lacks are an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

from model_images import contract

SERVE_TAG = "serve"
MAX_WARMUP_RECORDS = 1000  # WarmupConsts::kMaxNumRecords (saved_model_warmup_util.h)
WARMUP_FILE = contract.WARMUP_FILE


class ServingError(Exception):
    """What TF Serving would report: the load or the request fails with this reason."""


@dataclass(frozen=True)
class TensorSummary:
    """A signature input or output as TF Serving's metadata reports it."""

    name: str
    dtype: str
    shape: tuple[int, ...]  # -1 for an unknown dimension

    def as_dict(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "shape": list(self.shape)}


class SavedModelBundle:
    """One loaded version: a TF1 session over the `serve` MetaGraph and its signatures."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._graph = tf.Graph()
        self._session = tf.compat.v1.Session(graph=self._graph)
        try:
            with self._graph.as_default():
                meta_graph = tf.compat.v1.saved_model.loader.load(
                    self._session, [SERVE_TAG], str(path)
                )
        except Exception as error:  # noqa: BLE001 - any load failure is the finding
            self._session.close()
            raise ServingError(
                f"does not load as a SavedModelBundle: {first_line(error)}"
            ) from None
        self.signatures: dict[str, Any] = dict(meta_graph.signature_def)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SavedModelBundle:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def summary(self, signature_name: str = contract.SIGNATURE) -> dict[str, Any]:
        """Inputs and outputs (dtype, shape) of a signature, for the lock and for clients."""
        signature = self._signature(signature_name)
        return {
            "inputs": {k: _summary(k, v).as_dict() for k, v in sorted(signature.inputs.items())},
            "outputs": {k: _summary(k, v).as_dict() for k, v in sorted(signature.outputs.items())},
            "methodName": signature.method_name,
        }

    def predict(self, request: predict_pb2.PredictRequest) -> predict_pb2.PredictResponse:
        """RunPredict (predict_util.cc): signature, input checks, Session::Run, outputs."""
        signature_name = request.model_spec.signature_name or contract.SIGNATURE
        signature = self._signature(signature_name)
        _verify_inputs_size(signature, request)
        feeds = _input_values(signature, request)
        aliases = list(request.output_filter) or list(signature.outputs)
        for alias in aliases:
            if alias not in signature.outputs:
                raise ServingError(
                    f"output tensor alias not found in signature: {alias} "
                    f"Outputs expected to be in the set {{{','.join(sorted(signature.outputs))}}}."
                )
        if len(set(aliases)) != len(aliases):
            raise ServingError("duplicate output tensor alias")
        fetches = {alias: signature.outputs[alias].name for alias in aliases}
        try:
            outputs = self._session.run(fetches, feed_dict=feeds)
        except Exception as error:  # noqa: BLE001 - the runtime's error is the finding
            raise ServingError(first_line(error)) from None
        response = predict_pb2.PredictResponse()
        response.model_spec.CopyFrom(request.model_spec)
        response.model_spec.signature_name = signature_name
        for alias, value in outputs.items():
            response.outputs[alias].CopyFrom(tf.make_tensor_proto(value))
        return response

    def _signature(self, name: str) -> Any:
        if name not in self.signatures:
            raise ServingError(f'Serving signature key "{name}" not found.')
        return self.signatures[name]


def read_warmup(path: Path) -> list[prediction_log_pb2.PredictionLog]:
    """The warmup records of a version (a missing file is no records, as upstream)."""
    file = path / WARMUP_FILE
    if not file.is_file():
        return []
    records = []
    try:
        for number, raw in enumerate(tf.data.TFRecordDataset(str(file)), start=1):
            log = prediction_log_pb2.PredictionLog()
            try:
                log.ParseFromString(raw.numpy())
            except Exception:  # noqa: BLE001 - protobuf raises its own DecodeError types
                raise ServingError(f"Failed to parse warmup record {number}") from None
            records.append(log)
    except tf.errors.DataLossError as error:
        raise ServingError(
            f"{first_line(error)}. Please verify your warmup data is in TFRecord format."
        ) from None
    return records


def replay_warmup(bundle: SavedModelBundle) -> int:
    """Run every warmup record as TF Serving does before the version becomes AVAILABLE."""
    records = read_warmup(bundle.path)
    for number, record in enumerate(records, start=1):
        if number > MAX_WARMUP_RECORDS:
            raise ServingError(
                f"Number of warmup records exceeds the maximum ({MAX_WARMUP_RECORDS})"
            )
        kind = record.WhichOneof("log_type")
        if kind == "predict_log":
            try:
                bundle.predict(record.predict_log.request)
            except ServingError as error:
                raise ServingError(f"warmup record {number}: {error}") from None
        elif kind in {"session_run_log", "predict_streamed_log"}:
            raise ServingError(f"warmup record {number}: Unsupported log_type for warmup: {kind}")
        elif kind is not None:
            # Classify/Regress/MultiInference run in TF Serving too; servestack's contract is
            # Predict only, and an emulation of those paths is not worth a false pass.
            raise ServingError(f"warmup record {number}: {kind} is outside the Predict contract")
    return len(records)


def outputs_as_arrays(response: predict_pb2.PredictResponse) -> dict[str, Any]:
    return {alias: tf.make_ndarray(proto) for alias, proto in response.outputs.items()}


def _verify_inputs_size(signature: Any, request: predict_pb2.PredictRequest) -> None:
    sent, wanted = set(request.inputs), set(signature.inputs)
    if len(sent) > len(wanted) or (len(sent) < len(wanted) and not signature.defaults):
        raise ServingError(
            f"input size does not match signature: {len(sent)}!={len(wanted)} "
            f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(sorted(wanted))}}}). "
            f"Sent extra: {{{','.join(sorted(sent - wanted))}}}. "
            f"Missing but required: {{{','.join(sorted(wanted - sent))}}}."
        )


def _input_values(signature: Any, request: predict_pb2.PredictRequest) -> dict[str, Any]:
    feeds: dict[str, Any] = {}
    for alias, info in signature.inputs.items():
        if alias in request.inputs:
            proto = request.inputs[alias]
        elif alias in signature.defaults:
            proto = signature.defaults[alias]
        else:
            raise ServingError(
                f"Signature input alias: {alias}(feed name: {info.name}) not found in request "
                "and no default value provided."
            )
        if proto.dtype != info.dtype:
            # The C++ session rejects a feed whose dtype differs from the placeholder's
            # (FunctionCallFrame::SetArgs, "Expects arg[i] to be T but U is provided");
            # Python's Session.run would silently cast, so check here.
            raise ServingError(
                f"input {alias!r} is {tf.dtypes.as_dtype(proto.dtype).name}, "
                f"the signature expects {tf.dtypes.as_dtype(info.dtype).name}"
            )
        try:
            feeds[info.name] = tf.make_ndarray(proto)
        except Exception:  # noqa: BLE001 - Tensor::FromProto fails the request as upstream
            raise ServingError(f"tensor parsing error: {alias}") from None
    unknown = set(request.inputs) - set(signature.inputs)
    if unknown:
        raise ServingError(f"Inputs contains invalid name: {','.join(sorted(unknown))}")
    return feeds


def _summary(alias: str, info: Any) -> TensorSummary:
    shape = (
        () if info.tensor_shape.unknown_rank else tuple(int(d.size) for d in info.tensor_shape.dim)
    )
    return TensorSummary(alias, tf.dtypes.as_dtype(info.dtype).name, shape)


# Framing lines of TensorFlow runtime errors; the reason is the line they surround.
_TF_FRAMING = ("Graph execution error:", "Detected at node", "<stack traces unavailable>", "[[")


def first_line(error: BaseException) -> str:
    """The line of a TensorFlow error that says why, without its framing."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    reasons = [line for line in lines if not line.startswith(_TF_FRAMING)]
    return (reasons or lines or [type(error).__name__])[0]


def iter_versions(directory: Path) -> Iterator[Path]:
    """Numbered version directories under a model directory, ascending."""
    for child in sorted(directory.iterdir(), key=lambda p: (len(p.name), p.name)):
        if child.is_dir() and child.name.isdigit():
            yield child

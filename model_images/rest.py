"""TF Serving's REST Predict conversion (JSON body -> PredictRequest), for the contract gate.

Follows tensorflow_serving/util/json_tensor.cc at tag 2.19.1, the parts a Predict client
meets: FillPredictRequestFromJson (:653-705: exactly one of "instances" (row format) or
"inputs" (columnar), an optional "signature_name"), FillTensorMapFromInstancesList
(:519-607: a list of objects with one key per signature input, or a plain list when the
signature has one input; every element gives a tensor of the same shape, batched along a new
first dimension), FillTensorProto (:392-436: leaves at the tensor's rank; a JSON object is
only accepted as `{"b64": "..."}` and only for DT_STRING, :358-389). No TensorFlow here:
the result is a PredictRequest proto that `model_images.tfserving` runs.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2

_B64 = "b64"
_INTS = {
    types_pb2.DT_INT8,
    types_pb2.DT_INT16,
    types_pb2.DT_INT32,
    types_pb2.DT_UINT8,
    types_pb2.DT_UINT16,
}
_INT64S = {types_pb2.DT_INT64}
_FLOATS = {types_pb2.DT_FLOAT}


class RestError(ValueError):
    """The REST API would answer 400 with this message."""


def predict_request(
    body: str, model: str, signatures: dict[str, Any], version: int | None = None
) -> predict_pb2.PredictRequest:
    """The PredictRequest TF Serving builds from a REST `:predict` body."""
    try:
        document = json.loads(body) if body else None
    except json.JSONDecodeError as error:
        raise RestError(f"JSON Parse error: {error.msg} at offset: {error.pos}") from None
    if document is None:
        raise RestError("JSON Parse error: The document is empty")
    if not isinstance(document, dict):
        raise RestError("Is not object")
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    if version is not None:
        request.model_spec.version.value = version
    signature_name = document.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise RestError("'signature_name' key must be a string value")
    request.model_spec.signature_name = signature_name
    signature = signatures.get(signature_name or "serving_default")
    if signature is None:
        raise RestError(
            f'Serving signature name: "{signature_name or "serving_default"}" not found'
        )
    inputs = {alias: info.dtype for alias, info in signature.inputs.items()}
    if not inputs:
        raise RestError(f"Failed to get input map for signature: {signature_name or 'DEFAULT'}")
    if "instances" in document and "inputs" in document:
        raise RestError("expecting only one of 'inputs' or 'instances' keys to exist")
    if "instances" in document:
        instances = document["instances"]
        if not isinstance(instances, list):
            raise RestError("Expecting 'instances' to be an list/array")
        if not instances:
            raise RestError("No values in 'instances' array")
        _fill_from_instances(instances, inputs, request)
    elif "inputs" in document:
        _fill_from_inputs(document["inputs"], inputs, request)
    else:
        raise RestError("Missing 'inputs' or 'instances' key")
    return request


def _is_b64(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_B64), str)


def _is_named(value: Any) -> bool:
    return isinstance(value, dict) and not _is_b64(value)


def _fill_from_instances(
    instances: list[Any], inputs: dict[str, int], request: predict_pb2.PredictRequest
) -> None:
    if not _is_named(instances[0]) and len(inputs) > 1:
        raise RestError(
            "instances is a plain list, but expecting list of objects as multiple "
            "input tensors required as per tensorinfo_map"
        )
    named = _is_named(instances[0])
    columns: dict[str, list[Any]] = {alias: [] for alias in inputs}
    shapes: dict[str, list[int]] = {}
    for index, element in enumerate(instances):
        if named:
            if not _is_named(element):
                raise RestError(f"Expecting object but got list at item {index} of input list")
            for key in element:
                if key not in inputs:
                    raise RestError(
                        f"Failed to process element: {index} key: {key} of 'instances' list. "
                        f"Error: JSON object: does not have named input: {key}"
                    )
            if set(element) != set(inputs):
                raise RestError(
                    f"Failed to process element: {index} of 'instances' list. "
                    f"keys must be equal to: {','.join(sorted(inputs))}"
                )
            items = element.items()
        else:
            if _is_named(element):
                raise RestError(
                    f"Expecting value/list but got object at item {index} of input list"
                )
            items = [(next(iter(inputs)), element)]
        for alias, value in items:
            shape = _dense_shape(value)
            if alias in shapes and shapes[alias] != shape:
                raise RestError(f"Expecting shape {shapes[alias]} but got: {shape}")
            shapes[alias] = shape
            columns[alias].append(value)
    for alias, dtype in inputs.items():
        request.inputs[alias].CopyFrom(_tensor(columns[alias], dtype))


def _fill_from_inputs(
    value: Any, inputs: dict[str, int], request: predict_pb2.PredictRequest
) -> None:
    if not _is_named(value):
        if len(inputs) > 1:
            raise RestError(
                "inputs is a plain value/list, but expecting an object as multiple "
                "input tensors required as per tensorinfo_map"
            )
        alias = next(iter(inputs))
        request.inputs[alias].CopyFrom(_tensor(value, inputs[alias]))
        return
    for alias, dtype in inputs.items():
        if alias not in value:
            raise RestError(f"Missing named input: {alias} in 'inputs' object.")
        request.inputs[alias].CopyFrom(_tensor(value[alias], dtype))


def _dense_shape(value: Any) -> list[int]:
    """GetDenseTensorShape: the sizes of the first list at each level."""
    shape: list[int] = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _tensor(value: Any, dtype: int) -> tensor_pb2.TensorProto:
    proto = tensor_pb2.TensorProto(dtype=dtype)
    shape = _dense_shape(value)
    proto.tensor_shape.CopyFrom(
        tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=size) for size in shape]
        )
    )
    _fill(value, 0, len(shape), shape, dtype, proto)
    return proto


def _fill(
    value: Any, level: int, rank: int, shape: list[int], dtype: int, proto: tensor_pb2.TensorProto
) -> None:
    if not isinstance(value, list):
        if level != rank:
            raise RestError(
                f"JSON Value: {json.dumps(value)} found at incorrect level: {level + 1} "
                f"in the JSON DOM. Expected at level: {rank}"
            )
        _add_value(value, dtype, proto)
        return
    if level >= rank:
        raise RestError(f"Encountered list at unexpected level: {level} expected < {rank}")
    if len(value) != shape[level]:
        raise RestError(
            f"Encountered list at unexpected size: {len(value)} at level: {level} "
            f"expected size: {shape[level]}"
        )
    for item in value:
        _fill(item, level + 1, rank, shape, dtype, proto)


def _add_value(value: Any, dtype: int, proto: tensor_pb2.TensorProto) -> None:
    if isinstance(value, dict):
        if dtype != types_pb2.DT_STRING or not _is_b64(value):
            raise RestError(
                f"JSON value: {json.dumps(value)} not formatted correctly for base64 data"
            )
        try:
            proto.string_val.append(base64.b64decode(value[_B64], validate=True))
        except binascii.Error:
            raise RestError("Unable to base64 decode") from None
    elif dtype == types_pb2.DT_STRING and isinstance(value, str):
        proto.string_val.append(value.encode())
    elif dtype == types_pb2.DT_BOOL and isinstance(value, bool):
        proto.bool_val.append(value)
    elif dtype in _INTS | _INT64S and isinstance(value, int) and not isinstance(value, bool):
        (proto.int64_val if dtype in _INT64S else proto.int_val).append(value)
    elif dtype in _FLOATS and isinstance(value, int | float) and not isinstance(value, bool):
        proto.float_val.append(float(value))
    elif dtype == types_pb2.DT_DOUBLE and isinstance(value, int | float):
        proto.double_val.append(float(value))
    else:
        raise RestError(
            f"JSON Value: {json.dumps(value)} Type: {type(value).__name__} is not of expected "
            f"type: {types_pb2.DataType.Name(dtype)}"
        )


def image_body(images: list[bytes]) -> str:
    """The documented client body: one named `image_bytes` instance per image, base64."""
    instances = [{"image_bytes": {_B64: base64.b64encode(data).decode()}} for data in images]
    return json.dumps({"instances": instances})

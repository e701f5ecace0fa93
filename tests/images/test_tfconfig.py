"""TF Serving config files: shape, determinism, and a parse back through real messages."""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from google.protobuf.message import Message
from tensorflow_serving.config import model_server_config_pb2  # type: ignore[import-untyped]

from infra.config import BatchingSpec, ModelSpec
from infra.images import tfconfig


def _parse_server_config(text: str) -> model_server_config_pb2.ModelServerConfig:
    return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())


def test_version_policies_and_labels_parse_back() -> None:
    models = [
        tfconfig.ServedModel("b", (2, 3), "specific", (("canary", 3), ("stable", 2))),
        tfconfig.ServedModel("a", (1,), "latest"),
        tfconfig.ServedModel("c", (4, 5), "all"),
    ]
    config = _parse_server_config(tfconfig.model_server_config(models))
    entries = {c.name: c for c in config.model_config_list.config}
    assert [c.name for c in config.model_config_list.config] == ["a", "b", "c"]
    assert entries["a"].model_version_policy.WhichOneof("policy_choice") == "latest"
    assert entries["a"].model_version_policy.latest.num_versions == 1
    assert list(entries["b"].model_version_policy.specific.versions) == [2, 3]
    assert dict(entries["b"].version_labels) == {"canary": 3, "stable": 2}
    assert entries["c"].model_version_policy.WhichOneof("policy_choice") == "all"
    assert entries["b"].base_path == "/models/b"
    assert entries["b"].model_platform == "tensorflow"


def test_served_model_keeps_only_labels_of_served_versions() -> None:
    model = ModelSpec.model_validate(
        {
            "name": "m",
            "source": {"path": "model_images/published/tiny"},
            "versions": [1, 2],
            "versionLabels": {"stable": 1, "canary": 2},
        }
    )
    assert tfconfig.served_model(model).labels == (("canary", 2), ("stable", 1))
    only_two = tfconfig.served_model(model, [2])
    assert only_two.versions == (2,)
    assert only_two.labels == (("canary", 2),)


def test_output_is_deterministic() -> None:
    models = [tfconfig.ServedModel("x", (3, 1, 2), "specific", (("b", 2), ("a", 1)))]
    assert tfconfig.model_server_config(models) == tfconfig.model_server_config(list(models))


def _ad_hoc_message(
    package: str, name: str, fields: list[tuple[str, int, int, str]]
) -> type[Message]:
    """A message class built from a descriptor written here: (name, number, type, type_name).

    Only field names, numbers and types are needed to parse text format; labels are optional
    except where a field is repeated (none here).
    """
    pool = descriptor_pool.DescriptorPool()
    wrappers = descriptor_pb2.FileDescriptorProto(name="w.proto", package="google.protobuf")
    wrapper = wrappers.message_type.add(name="Int64Value")
    wrapper.field.add(name="value", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT64)
    pool.Add(wrappers)
    file = descriptor_pb2.FileDescriptorProto(
        name=f"{name}.proto", package=package, dependency=["w.proto"]
    )
    message = file.message_type.add(name=name)
    for field_name, number, field_type, type_name in fields:
        message.field.add(name=field_name, number=number, type=field_type, type_name=type_name)
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}"))


_T = descriptor_pb2.FieldDescriptorProto


def test_batching_parameters_parse_as_wrapped_int64_fields() -> None:
    batching_cls = _ad_hoc_message(
        "tensorflow.serving",
        "BatchingParameters",
        [
            ("max_batch_size", 1, _T.TYPE_MESSAGE, ".google.protobuf.Int64Value"),
            ("batch_timeout_micros", 2, _T.TYPE_MESSAGE, ".google.protobuf.Int64Value"),
            ("max_enqueued_batches", 3, _T.TYPE_MESSAGE, ".google.protobuf.Int64Value"),
            ("num_batch_threads", 4, _T.TYPE_MESSAGE, ".google.protobuf.Int64Value"),
        ],
    )
    spec = BatchingSpec(
        max_batch_size=64, batch_timeout_micros=500, max_enqueued_batches=7, num_batch_threads=3
    )
    parsed = text_format.Parse(tfconfig.batching_parameters(spec), batching_cls())
    values = {f.name: v.value for f, v in parsed.ListFields()}  # type: ignore[attr-defined]
    assert values == {
        "max_batch_size": 64,
        "batch_timeout_micros": 500,
        "max_enqueued_batches": 7,
        "num_batch_threads": 3,
    }


def test_monitoring_config_parses_with_prometheus_fields() -> None:
    pool = descriptor_pool.DescriptorPool()
    file = descriptor_pb2.FileDescriptorProto(name="m.proto", package="tensorflow.serving")
    prometheus = file.message_type.add(name="PrometheusConfig")
    prometheus.field.add(name="enable", number=1, type=_T.TYPE_BOOL)
    prometheus.field.add(name="path", number=2, type=_T.TYPE_STRING)
    monitoring = file.message_type.add(name="MonitoringConfig")
    monitoring.field.add(
        name="prometheus_config",
        number=1,
        type=_T.TYPE_MESSAGE,
        type_name=".tensorflow.serving.PrometheusConfig",
    )
    pool.Add(file)
    cls = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("tensorflow.serving.MonitoringConfig")
    )
    text = tfconfig.monitoring_config(tfconfig.PrometheusConfig(path='/m"x'))
    parsed = text_format.Parse(text, cls())
    assert parsed.prometheus_config.enable is True  # type: ignore[attr-defined]
    assert parsed.prometheus_config.path == '/m"x'  # type: ignore[attr-defined]

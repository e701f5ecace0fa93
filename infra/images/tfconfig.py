"""TF Serving configuration files baked into a model image.

The model server config goes through the real `ModelServerConfig` message from
tensorflow-serving-api (its `config/` protos import without TensorFlow), so a misspelt field
fails here rather than at container start. The pip package ships neither `MonitoringConfig`
nor `BatchingParameters`; those two are rendered as text format from typed data below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from google.protobuf import text_format
from tensorflow_serving.config import (
    model_server_config_pb2,
)

from infra.config import BatchingSpec, ModelSpec
from infra.serving import layout

VersionPolicy = Literal["latest", "all", "specific"]


@dataclass(frozen=True)
class ServedModel:
    """One model as the server sees it: name, versions in the image, policy, labels."""

    name: str
    versions: tuple[int, ...]
    policy: VersionPolicy = "specific"
    labels: tuple[tuple[str, int], ...] = ()

    @property
    def base_path(self) -> str:
        return layout.model_base_path(self.name)


def served_model(model: ModelSpec, versions: Sequence[int] | None = None) -> ServedModel:
    """The ServedModel for a stack-file model, optionally restricted to some versions."""
    chosen = tuple(sorted(model.versions if versions is None else versions))
    labels = tuple(sorted((k, v) for k, v in model.version_labels.items() if v in chosen))
    return ServedModel(name=model.name, versions=chosen, policy=model.version_policy, labels=labels)


def model_server_config(models: Sequence[ServedModel]) -> str:
    """Text-format ModelServerConfig for `--model_config_file`, models sorted by name."""
    config = model_server_config_pb2.ModelServerConfig()
    for model in sorted(models, key=lambda m: m.name):
        entry = config.model_config_list.config.add()
        entry.name = model.name
        entry.base_path = model.base_path
        entry.model_platform = "tensorflow"
        policy = entry.model_version_policy
        if model.policy == "latest":
            policy.latest.num_versions = 1
        elif model.policy == "all":
            policy.all.SetInParent()
        else:
            policy.specific.versions.extend(model.versions)
        for label, version in model.labels:
            entry.version_labels[label] = version
    text: str = text_format.MessageToString(config)
    return text


@dataclass(frozen=True)
class PrometheusConfig:
    """Fields of TF Serving's `PrometheusConfig` (tensorflow_serving/config/monitoring_config)."""

    enable: bool = True
    path: str = layout.METRICS_PATH


def monitoring_config(prometheus: PrometheusConfig) -> str:
    """Text-format MonitoringConfig for `--monitoring_config_file`."""
    return (
        "prometheus_config {\n"
        f"  enable: {_bool(prometheus.enable)}\n"
        f"  path: {_string(prometheus.path)}\n"
        "}\n"
    )


def batching_parameters(batching: BatchingSpec) -> str:
    """Text-format BatchingParameters for `--batching_parameters_file`.

    The scalar fields are `google.protobuf.Int64Value` wrappers upstream, hence `{ value: }`.
    """
    fields = (
        ("max_batch_size", batching.max_batch_size),
        ("batch_timeout_micros", batching.batch_timeout_micros),
        ("max_enqueued_batches", batching.max_enqueued_batches),
        ("num_batch_threads", batching.num_batch_threads),
    )
    return "".join(f"{name} {{ value: {int(value)} }}\n" for name, value in fields)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'

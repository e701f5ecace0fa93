from __future__ import annotations

from pathlib import Path

from infra.config import StackSpec
from infra.config.targets import serving_target
from infra.serving import layout
from infra.serving.flags import server_command, server_flags, thread_counts
from tests.serving.conftest import placement_of, spec_of
from tests.serving.helpers import with_server


def flags_of(spec: StackSpec, index: int) -> list[str]:
    """The flags of server `index`, placed on its pool as the stack composes it."""
    server = spec.servers[index]
    return server_flags(serving_target(spec), server, placement_of(spec, server.node_pool))


def flag_map(flags: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for flag in flags:
        assert flag.startswith("--"), flag
        key, _, value = flag[2:].partition("=")
        assert key not in out, f"flag {key} given twice"
        out[key] = value
    return out


def test_ports_config_and_warmup() -> None:
    spec = spec_of("dev")
    flags = flag_map(flags_of(spec, 0))
    assert flags["port"] == "8500"
    assert flags["rest_api_port"] == "8501"
    assert flags["model_config_file"] == layout.MODEL_CONFIG_FILE
    assert flags["monitoring_config_file"] == layout.MONITORING_CONFIG_FILE
    assert flags["enable_model_warmup"] == "true"
    assert flags["file_system_poll_wait_seconds"] == "0"
    assert "grpc.max_connection_age_ms=300000" in flags["grpc_channel_arguments"]
    assert server_command() == ["/usr/bin/tensorflow_model_server"]


def test_batching_only_when_the_stack_asks() -> None:
    spec = spec_of("prod")
    assert flag_map(flags_of(spec, 0))["batching_parameters_file"] == (layout.BATCHING_CONFIG_FILE)
    assert flag_map(flags_of(spec, 0))["enable_batching"] == "true"
    plain = flag_map(flags_of(spec, 1))
    assert "enable_batching" not in plain and "batching_parameters_file" not in plain


def test_monitoring_config_only_when_monitoring() -> None:
    spec = spec_of("local")
    assert "monitoring_config_file" not in flag_map(flags_of(spec, 0))


def test_threads_follow_the_cpu_request() -> None:
    assert thread_counts("500m") == (1, 1)
    assert thread_counts("2") == (2, 1)
    assert thread_counts("4") == (4, 2)
    spec = spec_of("prod")
    flags = flag_map(flags_of(spec, 1))
    assert flags["tensorflow_intra_op_parallelism"] == "4"
    assert flags["tensorflow_inter_op_parallelism"] == "2"
    assert flags["rest_api_num_threads"] == "16"


def test_version_labels_need_the_unavailable_models_flag() -> None:
    staging = spec_of("staging")
    labelled = flag_map(flags_of(staging, 0))
    assert labelled["allow_version_labels_for_unavailable_models"] == "true"
    unlabelled = flag_map(flags_of(staging, 1))
    assert "allow_version_labels_for_unavailable_models" not in unlabelled


def test_shared_gpu_limits_memory_fraction() -> None:
    dev = spec_of("dev")
    shared = flag_map(flags_of(dev, 1))
    assert shared["per_process_gpu_memory_fraction"] == "0.45"
    prod = spec_of("prod")
    assert "per_process_gpu_memory_fraction" not in flag_map(flags_of(prod, 0))


def test_flags_are_deterministic() -> None:
    spec = spec_of("staging")
    changed = with_server(spec, "resnet", resources={"cpu": "2", "memory": "6Gi"})
    assert flags_of(spec, 1) == flags_of(changed, 1)


def _known_flags() -> set[str]:
    listing = Path(__file__).parent / "data" / "tf_serving_2.19.1_flags.txt"
    return {
        line.strip()
        for line in listing.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }


def test_every_flag_is_one_tf_serving_2_19_1_defines() -> None:
    """TF Serving only warns on an unknown flag, so a misspelt one would be silently ignored."""
    known = _known_flags()
    assert "enable_grpc_healthcheck_service" in known
    for stack in ("local", "dev", "staging", "prod"):
        spec = spec_of(stack)
        for index, server in enumerate(spec.servers):
            unknown = set(flag_map(flags_of(spec, index))) - known
            assert not unknown, (stack, server.name, unknown)

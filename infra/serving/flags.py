"""The `tensorflow_model_server` command line, from the stack file.

One place for the flags: the Deployment passes them as `args` and the image's default
command may use the same list. Flag names are those of TF Serving's `main.cc` for the
pinned 2.x release (model_servers/main.cc). Unknown flags only print "unknown argument", so
tests pin every name to that file.
"""

from __future__ import annotations

import math

from infra.config import ServerSpec
from infra.config.placement import PoolPlacement
from infra.config.targets import ServingTarget
from infra.serving import layout
from infra.serving.quantity import cpu_cores

# Close long-lived gRPC connections now and then so clients spread over new replicas
# after a scale-up; the grace lets in-flight calls finish.
GRPC_MAX_CONNECTION_AGE_MS = 300_000
GRPC_MAX_CONNECTION_AGE_GRACE_MS = 30_000
# Leave part of a shared GPU's memory to the CUDA context of every sharing process.
SHARED_GPU_MEMORY_SHARE = 0.9


def thread_counts(cpu: str) -> tuple[int, int]:
    """(intra-op, inter-op) threads sized to the CPU request, not to the node's cores.

    TF otherwise sizes its pools by the node, which oversubscribes a CPU-limited pod.
    """
    intra = max(1, math.floor(cpu_cores(cpu)))
    return intra, max(1, intra // 2)


def rest_threads(cpu: str) -> int:
    """HTTP worker threads: TF Serving's default of 4 per CPU, counted on the request."""
    return 4 * max(1, math.ceil(cpu_cores(cpu)))


def gpu_memory_fraction(placement: PoolPlacement | None) -> float | None:
    """Per-process GPU memory share when the pool time-shares or MPS-shares its GPUs."""
    if placement is None or placement.shared_clients_per_gpu is None:
        return None
    return round(SHARED_GPU_MEMORY_SHARE / placement.shared_clients_per_gpu, 2)


def uses_version_labels(server: ServerSpec) -> bool:
    return any(model.version_labels for model in server.models)


def server_flags(
    target: ServingTarget, server: ServerSpec, placement: PoolPlacement | None = None
) -> list[str]:
    """Arguments of `tensorflow_model_server` for one model server, in a fixed order.

    `placement` is the server's node pool (None on a local stack).
    """
    intra, inter = thread_counts(server.resources.cpu)
    flags = [
        f"--port={layout.GRPC_PORT}",
        f"--rest_api_port={layout.REST_PORT}",
        f"--rest_api_num_threads={rest_threads(server.resources.cpu)}",
        f"--model_config_file={layout.MODEL_CONFIG_FILE}",
        # Models are baked into the image: scan the model directories once, never poll.
        "--file_system_poll_wait_seconds=0",
        f"--tensorflow_intra_op_parallelism={intra}",
        f"--tensorflow_inter_op_parallelism={inter}",
        "--enable_model_warmup=true",
        # The standard gRPC health service the liveness probe asks (main.cc:308 at 2.19.1).
        "--enable_grpc_healthcheck_service=true",
        "--grpc_channel_arguments="
        f"grpc.max_connection_age_ms={GRPC_MAX_CONNECTION_AGE_MS},"
        f"grpc.max_connection_age_grace_ms={GRPC_MAX_CONNECTION_AGE_GRACE_MS}",
    ]
    if target.monitoring:
        flags.append(f"--monitoring_config_file={layout.MONITORING_CONFIG_FILE}")
    if server.batching is not None:
        flags += [
            "--enable_batching=true",
            f"--batching_parameters_file={layout.BATCHING_CONFIG_FILE}",
        ]
    if uses_version_labels(server):
        # The server assigns labels before its first load finishes; without this flag a
        # config that labels its own baked versions fails at startup.
        flags.append("--allow_version_labels_for_unavailable_models=true")
    fraction = gpu_memory_fraction(placement)
    if fraction is not None:
        flags.append(f"--per_process_gpu_memory_fraction={fraction}")
    return flags


def server_command() -> list[str]:
    """The container command: the server binary itself, so no shell sits in between."""
    return [layout.SERVER_BINARY]

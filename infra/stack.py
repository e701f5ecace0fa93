"""Composition of one stack: Platform -> ModelImage per server -> ModelService per server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi

from infra.config import ServerSpec, StackSpec, load_from_pulumi, stack_file

if TYPE_CHECKING:
    from infra.images.context import ImageLocks


def build(spec: StackSpec, root: Path) -> dict[str, Any]:
    """Declare every resource of the stack and return the stack outputs."""
    from infra.config.targets import platform_target, serving_target
    from infra.images.context import ImageLocks
    from infra.platform import Platform, PlatformArgs
    from infra.serving.namespace import ServingNamespace, ServingNamespaceArgs
    from infra.serving.service import ModelService, ModelServiceArgs

    platform = Platform("platform", PlatformArgs(target=platform_target(spec)))
    kube = pulumi.ResourceOptions(provider=platform.kube_provider)
    serving = serving_target(spec)
    namespace = ServingNamespace("serving", ServingNamespaceArgs(target=serving), opts=kube)
    locks = ImageLocks.read(root)
    _metrics_adapter(spec, locks, platform.kube_provider)

    images: dict[str, Any] = {}
    endpoints: dict[str, Any] = {}
    for server in spec.servers:
        image_ref, canary_ref = _server_images(
            spec, server, platform.registry_url, platform.cache_url, root, locks
        )
        service = ModelService(
            server.name,
            ModelServiceArgs(
                target=serving,
                server=server,
                image_ref=image_ref,
                canary_image_ref=canary_ref,
                placement=platform.pools.get(server.node_pool or ""),
                namespace=namespace.name,
            ),
            opts=kube,
        )
        images[server.name] = image_ref
        endpoints[server.name] = service.endpoints

    return {
        **platform.outputs,
        "namespace": namespace.name,
        "images": images,
        "endpoints": endpoints,
    }


def _metrics_adapter(
    spec: StackSpec, locks: ImageLocks, kube_provider: pulumi.ProviderResource
) -> None:
    """The metrics adapter, when some server scales on a custom metric (GKE stacks only: the
    config rejects a metric elsewhere, infra/config/metrics.py)."""
    from infra.config.metrics import uses_custom_metrics
    from infra.config.targets import gke_cluster
    from infra.platform.adapter_identity import AdapterIdentity, AdapterIdentityArgs
    from infra.serving.adapter import MetricsAdapter, MetricsAdapterArgs
    from infra.serving.metrics_adapter import AdapterTarget, locked_image

    if not uses_custom_metrics(spec) or spec.gcp_project is None:
        return
    target = AdapterTarget(
        project=spec.gcp_project,
        cluster_name=gke_cluster(spec).name,
        labels=spec.labels,
        image=locked_image(locks.base),
    )
    identity = AdapterIdentity("metrics-adapter", AdapterIdentityArgs(target))
    MetricsAdapter(
        "metrics-adapter",
        MetricsAdapterArgs(target, kube_provider, depends_on=(identity.workload_identity,)),
    )


def _server_images(
    spec: StackSpec,
    server: ServerSpec,
    registry_url: pulumi.Output[str],
    cache_url: pulumi.Output[str] | None,
    root: Path,
    locks: ImageLocks,
) -> tuple[pulumi.Input[str], pulumi.Input[str] | None]:
    """The stable and canary image refs: built here, or a prebuilt image the stack names."""
    from infra.config.targets import image_target, server_image
    from infra.images.context import Variant
    from infra.images.image import ModelImage, ModelImageArgs

    if server.image is not None:
        # Deployed as named; the policy pack judges its registry and digest pinning.
        return server.image, None

    target, built = image_target(spec), server_image(spec, server)

    def image(name: str, variant: Variant) -> pulumi.Output[str]:
        args = ModelImageArgs(
            target=target,
            image=built,
            variant=variant,
            registry_url=registry_url,
            root=root,
            locks=locks,
            cache_url=cache_url,
        )
        return ModelImage(name, args).ref

    stable = image(server.name, "stable")
    canary = image(f"{server.name}-canary", "canary") if server.canary is not None else None
    return stable, canary


def main(root: Path) -> dict[str, Any]:
    """Entry point shared by `pulumi up` and the offline preview."""
    from infra.images.context import check_model_sources

    spec = load_from_pulumi()
    check_model_sources(spec, root, stack_file(spec.stack))
    outputs = build(spec, root)
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs

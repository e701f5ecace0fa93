"""Composition of one stack: Platform -> ModelImage per server -> ModelService per server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from infra.config import StackSpec, load_from_pulumi


def build(spec: StackSpec, root: Path) -> dict[str, Any]:
    """Declare every resource of the stack and return the stack outputs."""
    from infra.images.image import ModelImage, ModelImageArgs
    from infra.platform import Platform, PlatformArgs
    from infra.serving.namespace import ServingNamespace, ServingNamespaceArgs
    from infra.serving.service import ModelService, ModelServiceArgs

    platform = Platform("platform", PlatformArgs(spec=spec))
    kube = pulumi.ResourceOptions(provider=platform.kube_provider)
    namespace = ServingNamespace("serving", ServingNamespaceArgs(spec=spec), opts=kube)

    images: dict[str, Any] = {}
    for server in spec.servers:
        image = ModelImage(
            server.name,
            ModelImageArgs(
                spec=spec,
                server=server,
                variant="stable",
                registry_url=platform.registry_url,
                root=root,
            ),
        )
        canary_ref = None
        if server.canary is not None:
            canary = ModelImage(
                f"{server.name}-canary",
                ModelImageArgs(
                    spec=spec,
                    server=server,
                    variant="canary",
                    registry_url=platform.registry_url,
                    root=root,
                ),
            )
            canary_ref = canary.ref
        ModelService(
            server.name,
            ModelServiceArgs(
                spec=spec,
                server=server,
                image_ref=image.ref,
                canary_image_ref=canary_ref,
                placement=platform.pools.get(server.node_pool or ""),
                namespace=namespace.name,
            ),
            opts=kube,
        )
        images[server.name] = image.ref

    return {
        **platform.outputs,
        "namespace": namespace.name,
        "images": images,
    }


def main(root: Path) -> dict[str, Any]:
    """Entry point shared by `pulumi up` and the offline preview."""
    spec = load_from_pulumi()
    outputs = build(spec, root)
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs

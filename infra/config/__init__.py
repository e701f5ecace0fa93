"""Typed model of a stack file and its one loader.

The stack file is validated once, up front; everything below trusts the resulting
`StackSpec`. Any problem ends in a single `ConfigError` line naming the stack file and
the dotted key path, so a bad file never declares a resource.

One module per stack-file section (cluster, nodepools, registry, models, servers,
serving), the shared value types (shared), the cross-section checks (checks), the
error formatting (errors) and the loader (loader); beside them the placement vocabulary
both platform and serving speak (placement) and the components' small inputs (targets).
Every public name is re-exported here, so callers import from `infra.config` alone.
"""

from infra.config.cluster import (
    AuthorizedNetwork,
    ClusterSpec,
    DnsEndpointSpec,
    LocalSpec,
    MaintenanceExclusion,
    MaintenanceSpec,
    NetworkSpec,
    PrivateClusterSpec,
    ReleaseChannel,
)
from infra.config.errors import ConfigError, KeyedError
from infra.config.loader import (
    SECRET_CAPABLE_KEYS,
    load_from_pulumi,
    parse_config,
    parse_stack,
)
from infra.config.models import ModelSource, ModelSpec
from infra.config.nodepools import (
    NODE_POOL_NAME_MAX,
    GpuSharing,
    GpuSpec,
    NodePoolSpec,
    PoolAutoscaling,
    TaintSpec,
    UpgradeSpec,
)
from infra.config.placement import PoolPlacement
from infra.config.registry import BuildCacheSpec, CleanupSpec, ImagesSpec, RegistrySpec
from infra.config.replacement import REGIONAL_ZONES, PoolReplacement
from infra.config.servers import (
    BatchingSpec,
    CanaryAnalysis,
    CanarySpec,
    CustomMetric,
    ResourcesSpec,
    RolloutSpec,
    ServerAutoscaling,
    ServerSpec,
)
from infra.config.serving import AllowFrom, NodePort, NodePorts, ServingSpec
from infra.config.shared import (
    PROJECT,
    PROVIDER_NAMESPACES,
    STACK_CONFIG_DIR,
    Cidr,
    CpuQuantity,
    DnsLabel,
    IamRole,
    LabelValue,
    MemoryQuantity,
    Rfc3339,
    StackLabels,
    Strict,
    stack_file,
)
from infra.config.stack import StackSpec
from infra.config.targets import (
    GcpTarget,
    GkeTarget,
    ImageTarget,
    PoolTarget,
    ServerImage,
    ServingTarget,
)
from infra.gke.accelerators import GPU_MACHINE_FAMILIES

__all__ = [
    "GPU_MACHINE_FAMILIES",
    "NODE_POOL_NAME_MAX",
    "PROJECT",
    "PROVIDER_NAMESPACES",
    "REGIONAL_ZONES",
    "SECRET_CAPABLE_KEYS",
    "STACK_CONFIG_DIR",
    "AllowFrom",
    "AuthorizedNetwork",
    "BatchingSpec",
    "BuildCacheSpec",
    "CanaryAnalysis",
    "CanarySpec",
    "Cidr",
    "CleanupSpec",
    "ClusterSpec",
    "ConfigError",
    "CpuQuantity",
    "CustomMetric",
    "DnsEndpointSpec",
    "DnsLabel",
    "GcpTarget",
    "GkeTarget",
    "GpuSharing",
    "GpuSpec",
    "IamRole",
    "ImageTarget",
    "ImagesSpec",
    "KeyedError",
    "LabelValue",
    "LocalSpec",
    "MaintenanceExclusion",
    "MaintenanceSpec",
    "MemoryQuantity",
    "ModelSource",
    "ModelSpec",
    "NetworkSpec",
    "NodePoolSpec",
    "NodePort",
    "NodePorts",
    "PoolAutoscaling",
    "PoolPlacement",
    "PoolReplacement",
    "PoolTarget",
    "PrivateClusterSpec",
    "RegistrySpec",
    "ReleaseChannel",
    "ResourcesSpec",
    "Rfc3339",
    "RolloutSpec",
    "ServerAutoscaling",
    "ServerImage",
    "ServerSpec",
    "ServingSpec",
    "ServingTarget",
    "StackLabels",
    "StackSpec",
    "Strict",
    "TaintSpec",
    "UpgradeSpec",
    "load_from_pulumi",
    "parse_config",
    "parse_stack",
    "stack_file",
]

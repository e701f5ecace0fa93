"""Every name the program derives from the stack file, checked for collisions up front.

Servers name their Kubernetes objects and Pulumi resources by suffixing the server name
(`<s>-canary`, `<s>-internal`, `<s>-nodeport`, `<s>-allow`, infra/serving/objects.py and
service.py; images `<s>` and `<s>-canary`, infra/stack.py), so a server called `a-canary`
or `a-internal` beside `a` would give two Deployments or Services of one name, or two
resources of one URN. The names are listed here from the same rules and any clash is a
config error naming both keys, before anything is declared. GKE node pools and the GCP
names under them derive from pool names, which are unique (checks.py) and carry a settings
hash (infra/gke/names.py), so distinct pools never share a GCP name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from infra.config.errors import KeyedError

if TYPE_CHECKING:
    from infra.config.servers import ServerSpec
    from infra.config.stack import StackSpec

# Fixed names the namespace itself holds (infra/serving/namespace_objects.py).
NAMESPACE_OBJECTS = (("NetworkPolicy", "default-deny-ingress"),)


def server_names(server: ServerSpec, expose: str, monitoring: bool) -> Iterator[tuple[str, str]]:
    """(kind, name) of every object and resource a server derives, with why when it is not plain."""
    s = server.name
    yield "ServiceAccount", s
    yield "Deployment", s
    yield "Service", s
    yield "HorizontalPodAutoscaler", s
    yield "PodDisruptionBudget", s
    yield "NetworkPolicy", f"{s}-allow"
    if expose in {"internal", "external"}:
        yield "Service", f"{s}-{expose}"
    if expose == "nodeport":
        yield "Service", f"{s}-nodeport"
    if monitoring:
        yield "PodMonitoring", s
    if server.image is None:
        yield "ModelImage", s
    if server.canary is not None:
        yield "Deployment", f"{s}-canary"
        yield "ModelImage", f"{s}-canary"


def check_role_bindings(spec: StackSpec) -> None:
    """Project-role bindings of the node account are named by a slug of the role
    (infra/platform/identity.py:68-70: `roles/a.bC` -> `a-bc`); two roles differing only in
    case would give two IAM members of one name, i.e. one URN twice."""
    if spec.cluster is None:
        return
    # The role every node account gets (identity.py NODE_PROJECT_ROLES) comes first.
    owners = {"container-defaultnodeserviceaccount": "the node account's default role"}
    for index, role in enumerate(spec.cluster.node_service_account_roles):
        slug = role.removeprefix("roles/").replace(".", "-").lower()
        key = f"servestack:cluster.nodeServiceAccountRoles[{index}]"
        if role == "roles/container.defaultNodeServiceAccount":
            continue  # granted once either way
        if slug in owners:
            raise KeyedError(
                key, f"{role} names the same IAM binding ({slug}) as {owners[slug]}; drop one"
            )
        owners[slug] = key


def check_derived_names(spec: StackSpec) -> None:
    """No two servers (or a server and the namespace) derive one (kind, name)."""
    check_role_bindings(spec)
    owners: dict[tuple[str, str], str] = {
        kind_name: "the namespace" for kind_name in NAMESPACE_OBJECTS
    }
    for index, server in enumerate(spec.servers):
        key = f"servestack:servers[{index}].name"
        mine: set[tuple[str, str]] = set()
        for kind_name in server_names(server, spec.serving.expose, spec.serving.monitoring):
            if kind_name in mine:
                continue
            mine.add(kind_name)
            other = owners.get(kind_name)
            if other is not None:
                kind, name = kind_name
                raise KeyedError(
                    key,
                    f"server {server.name!r} derives {kind} {name!r}, which {other} "
                    "also derives; rename one",
                )
            owners[kind_name] = f"{key} ({server.name!r})"

"""Pod security rules: the restricted profile, and no host namespaces or hostPath volumes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.base import Config, Resource, resource_policy
from policies.values import UNKNOWN, as_dict, as_list, as_number, get
from policies.workloads import container_name, pod_template

SECCOMP_OK = {"RuntimeDefault", "Localhost"}


def _effective(pod: dict[str, Any], container: dict[str, Any], key: str) -> Any:
    """A security setting from the container, else from the pod's security context."""
    value = get(container, "securityContext", key)
    return get(pod, "securityContext", key) if value is None else value


def _container_problems(pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if _effective(pod, container, "runAsNonRoot") not in (True, UNKNOWN):
        problems.append("runAsNonRoot is not true")
    uid = _effective(pod, container, "runAsUser")
    if uid is not UNKNOWN and uid is not None and as_number(uid) == 0:
        problems.append("runAsUser is 0")
    if get(container, "securityContext", "allowPrivilegeEscalation") not in (False, UNKNOWN):
        problems.append("allowPrivilegeEscalation is not false")
    if get(container, "securityContext", "privileged") is True:
        problems.append("privileged is true")
    if get(container, "securityContext", "readOnlyRootFilesystem") not in (True, UNKNOWN):
        problems.append("readOnlyRootFilesystem is not true")
    drop = get(container, "securityContext", "capabilities", "drop")
    if drop is not UNKNOWN and "ALL" not in as_list(drop):
        problems.append("capabilities.drop does not contain ALL")
    seccomp = _effective(pod, container, "seccompProfile")
    if seccomp is not UNKNOWN and as_dict(seccomp).get("type") not in SECCOMP_OK | {UNKNOWN}:
        problems.append("seccompProfile is not RuntimeDefault")
    return problems


def check_security_context(resource: Resource, config: Config) -> Iterator[str]:
    template = pod_template(resource.type, resource.props)
    if template is None:
        return
    for container in template.containers(init=True):
        problems = _container_problems(template.spec, container)
        if problems:
            yield f"container {container_name(container)!r}: {'; '.join(problems)}"


def check_host_isolation(resource: Resource, config: Config) -> Iterator[str]:
    template = pod_template(resource.type, resource.props)
    if template is None:
        return
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if template.spec.get(key) is True:
            yield f"pod sets {key}: true"
    for volume in as_list(template.spec.get("volumes")):
        item = as_dict(volume)
        if item.get("hostPath") is not None:
            yield f"volume {item.get('name', '?')!r} mounts a hostPath"
    for container in template.containers(init=True):
        for port in as_list(container.get("ports")):
            if as_dict(port).get("hostPort") not in (None, UNKNOWN, 0):
                yield f"container {container_name(container)!r} binds a hostPort"


POLICIES = [
    resource_policy(
        "pod-security-context",
        "Containers run as non-root, without privilege escalation, with a read-only root "
        "filesystem, all capabilities dropped and the RuntimeDefault seccomp profile.",
        check_security_context,
    ),
    resource_policy(
        "pod-host-isolation",
        "Pods use no host network, PID or IPC namespace, hostPath volume or hostPort.",
        check_host_isolation,
    ),
]

"""Mock provider answers that look like the real thing.

Derived values (kubeconfig, image refs, registry URLs) flow from these, so they must have
the real shape; every value is a pure function of the resource's inputs, which keeps the
preview deterministic.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pulumi


def _digest(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def _fake_ca(seed: str) -> str:
    body = base64.b64encode(hashlib.sha512(seed.encode()).digest() * 6).decode()
    pem = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
    return base64.b64encode(pem.encode()).decode()


def _endpoint(seed: str) -> str:
    raw = hashlib.sha256(seed.encode()).digest()
    return f"34.{90 + raw[0] % 10}.{raw[1]}.{raw[2] % 254 + 1}"


class RealisticMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes offline, per resource type."""

    def __init__(self, project: str | None, region: str | None) -> None:
        self.project = project or "offline-project"
        self.region = region or "europe-west4"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        handler = _HANDLERS.get(args.typ)
        state = handler(self, args.name, inputs) if handler else {}
        resource_id = state.pop("__id", None) or f"{args.name}-id"
        if args.typ.startswith("kubernetes:") and not args.typ.startswith("kubernetes:index"):
            metadata = dict(inputs.get("metadata") or {})
            metadata.setdefault("name", args.name)
            state.setdefault("metadata", metadata)
        return resource_id, {**inputs, **state}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        if args.token == "gcp:organizations/getClientConfig:getClientConfig":
            return {
                "accessToken": "offline-preview-token",
                "project": self.project,
                "region": self.region,
                "zone": f"{self.region}-a",
                "id": self.project,
            }, []
        if args.token == "gcp:organizations/getProject:getProject":
            number = str(int(_digest(self.project)[:10], 16) % 10**12).zfill(12)
            return {"number": number, "projectId": self.project, "name": self.project}, []
        return {}, []

    @staticmethod
    def _in(inputs: dict[str, Any], key: str, default: str) -> str:
        """An input the provider would default when absent (project, region, location)."""
        return str(inputs.get(key) or default)

    def _project(self, inputs: dict[str, Any]) -> str:
        return self._in(inputs, "project", self.project)

    # -- per-type state -------------------------------------------------------------

    def cluster(self, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        cluster = str(inputs.get("name") or name)
        location = self._in(inputs, "location", self.region)
        project = self._project(inputs)
        return {
            "__id": f"projects/{project}/locations/{location}/clusters/{cluster}",
            "name": cluster,
            "endpoint": _endpoint(f"{project}/{cluster}"),
            "masterAuth": {
                "clusterCaCertificate": _fake_ca(f"{project}/{cluster}"),
                "clientCertificateConfig": {"issueClientCertificate": False},
            },
            "selfLink": f"https://container.googleapis.com/v1/projects/{project}/locations/{location}/clusters/{cluster}",
            "masterVersion": "1.33.5-gke.1000",
        }

    def repository(self, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        repo = str(inputs.get("repositoryId") or name)
        location = self._in(inputs, "location", self.region)
        project = self._project(inputs)
        return {
            "__id": f"projects/{project}/locations/{location}/repositories/{repo}",
            "name": repo,
            "registryUri": f"{location}-docker.pkg.dev/{project}/{repo}",
        }

    def service_account(self, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        account = str(inputs.get("accountId") or name)
        project = self._project(inputs)
        email = f"{account}@{project}.iam.gserviceaccount.com"
        return {
            "__id": f"projects/{project}/serviceAccounts/{email}",
            "email": email,
            "member": f"serviceAccount:{email}",
            "uniqueId": str(int(_digest(email)[:12], 16)),
        }

    def network(self, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        net = str(inputs.get("name") or name)
        project = self._project(inputs)
        return {
            "__id": f"projects/{project}/global/networks/{net}",
            "name": net,
            "selfLink": f"https://www.googleapis.com/compute/v1/projects/{project}/global/networks/{net}",
        }

    def subnetwork(self, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        subnet = str(inputs.get("name") or name)
        project = self._project(inputs)
        region = self._in(inputs, "region", self.region)
        return {
            "__id": f"projects/{project}/regions/{region}/subnetworks/{subnet}",
            "name": subnet,
            "selfLink": f"https://www.googleapis.com/compute/v1/projects/{project}/regions/{region}/subnetworks/{subnet}",
        }

    def image(self, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The digest stands in for the registry's: a hash of the content-addressed tags."""
        tags = sorted(str(t) for t in inputs.get("tags") or [])
        digest = "sha256:" + _digest(tags, inputs.get("buildArgs"), inputs.get("platforms"))
        ref = f"{tags[0]}@{digest}" if tags else f"{name}@{digest}"
        return {"digest": digest, "ref": ref}


def _service(self: RealisticMocks, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A LoadBalancer gets an address: internal ones from the subnet, external ones public."""
    spec = inputs.get("spec") or {}
    if spec.get("type") != "LoadBalancer":
        return {"status": {"loadBalancer": {}}}
    annotations = (inputs.get("metadata") or {}).get("annotations") or {}
    raw = hashlib.sha256(name.encode()).digest()
    internal = annotations.get("networking.gke.io/load-balancer-type") == "Internal"
    ip = f"10.{raw[0] % 200 + 10}.{raw[1]}.{raw[2] % 250 + 2}" if internal else _endpoint(name)
    return {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}


_HANDLERS = {
    "kubernetes:core/v1:Service": _service,
    "gcp:container/cluster:Cluster": RealisticMocks.cluster,
    "gcp:artifactregistry/repository:Repository": RealisticMocks.repository,
    "gcp:serviceaccount/account:Account": RealisticMocks.service_account,
    "gcp:compute/network:Network": RealisticMocks.network,
    "gcp:compute/subnetwork:Subnetwork": RealisticMocks.subnetwork,
    "docker-build:index:Image": RealisticMocks.image,
}

"""Names and labels GKE and Compute Engine accept.

- Node pool names: at most 40 characters, lowercase letters, digits and hyphens, starting
  with a letter (https://cloud.google.com/sdk/gcloud/reference/container/node-pools/create,
  NAME). servestack appends `-<6 hex>` (infra/platform/nodepool.py), leaving 33.
- GCP resource labels (`resource_labels`, repository and cluster labels): keys 1-63
  characters, lowercase letters, digits, `_` and `-`, starting with a letter; values 0-63
  of the same characters; at most 64 labels
  (https://cloud.google.com/compute/docs/labeling-resources#requirements).
- Kubernetes node labels (a pool's `labels`): an optional DNS-subdomain prefix of at most
  253 characters and `/`, then a name of at most 63 alphanumerics, `-`, `_`, `.`, starting
  and ending alphanumeric; values the same without prefix, or empty
  (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from infra.gke import Violation

NODE_POOL_NAME_MAX = 40
SETTINGS_HASH_SUFFIX = 7  # "-" and 6 hex digits
POOL_NAME_ROOM = NODE_POOL_NAME_MAX - SETTINGS_HASH_SUFFIX
MAX_GCP_LABELS = 64

_GCP_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_GCP_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_KUBE_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def check_pool_name(name: str) -> list[Violation]:
    if len(name) > POOL_NAME_ROOM:
        return [
            Violation(
                "name",
                f"at most {POOL_NAME_ROOM} characters: the GKE pool name appends a "
                f"{SETTINGS_HASH_SUFFIX}-character settings hash and GKE allows "
                f"{NODE_POOL_NAME_MAX} ({name!r})",
            )
        ]
    return []


def check_gcp_labels(labels: Mapping[str, str]) -> list[Violation]:
    found: list[Violation] = []
    if len(labels) > MAX_GCP_LABELS:
        found.append(Violation("", f"{len(labels)} labels; GCP allows {MAX_GCP_LABELS}"))
    for key, value in labels.items():
        if not _GCP_KEY.fullmatch(key):
            found.append(
                Violation(key, "GCP label keys are 1-63 of a-z 0-9 _ -, starting with a letter")
            )
        elif not _GCP_VALUE.fullmatch(value):
            found.append(
                Violation(key, f"GCP label values are 0-63 of a-z 0-9 _ - (got {value!r})")
            )
    return found


def check_node_labels(labels: Mapping[str, str]) -> list[Violation]:
    found: list[Violation] = []
    for key, value in labels.items():
        prefix, slash, name = key.rpartition("/")
        bad_prefix = slash and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix))
        if bad_prefix or not _KUBE_NAME.fullmatch(name):
            found.append(
                Violation(
                    key,
                    "Kubernetes label keys are [prefix/]name: a DNS subdomain prefix and a "
                    "name of at most 63 alphanumerics, - _ .",
                )
            )
        elif value and not _KUBE_NAME.fullmatch(value):
            found.append(
                Violation(
                    key,
                    f"Kubernetes label values are at most 63 alphanumerics, - _ . (got {value!r})",
                )
            )
    return found

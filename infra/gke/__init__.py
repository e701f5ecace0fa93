"""GKE's own rules, as pure functions over plain values, each beside its documentation link.

The offline preview's mock monitor accepts any value; GKE does not. These modules say what
GKE would reject (maintenance availability, accelerators, zones, names, labels, ranges) so
the stack file fails up front with one line instead of at `pulumi up`. docs/gke-rules.md
lists every rule with its source.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """A broken rule: `path` is relative to the value checked (e.g. `exclusions[0].end`)."""

    path: str
    message: str

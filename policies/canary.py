"""Progressive delivery: a canary must say which metrics decide its fate.

servestack writes a canary's analysis thresholds onto its Deployment as the
`servestack.io/canary-analysis` annotation (infra/serving/objects.py); `servestack canary`
reads the same thresholds from the stack file. A canary without them can only be promoted
or rolled back by hand, so in a mandatory stack it is a violation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from policies.base import Config, Resource, resource_policy
from policies.values import UNKNOWN, as_dict, get, is_unknown
from policies.workloads import kind_of

TRACK_LABEL = "servestack.io/track"
ANALYSIS_ANNOTATION = "servestack.io/canary-analysis"
THRESHOLDS = ("maxErrorRateIncrease", "maxLatencyRatio", "minRequests")


def check_canary_analysis(resource: Resource, config: Config) -> Iterator[str]:
    if kind_of(resource.type, resource.props) != "Deployment":
        return
    metadata = get(resource.props, "metadata")
    if is_unknown(metadata):
        return
    labels = as_dict(as_dict(metadata).get("labels"))
    template_labels = as_dict(get(resource.props, "spec", "template", "metadata", "labels"))
    if "canary" not in (labels.get(TRACK_LABEL), template_labels.get(TRACK_LABEL)):
        return
    annotations = as_dict(metadata).get("annotations")
    raw = as_dict(annotations).get(ANALYSIS_ANNOTATION)
    if annotations is UNKNOWN or raw is UNKNOWN:
        return
    if raw is None:
        yield (
            f"canary has no analysis thresholds (annotation {ANALYSIS_ANNOTATION}); "
            "set canary.analysis in the stack file"
        )
        return
    try:
        analysis = json.loads(str(raw))
    except json.JSONDecodeError:
        yield f"annotation {ANALYSIS_ANNOTATION} is not JSON"
        return
    missing = [key for key in THRESHOLDS if not isinstance(as_dict(analysis).get(key), int | float)]
    if missing:
        yield f"canary analysis lacks {', '.join(missing)}"


POLICIES = [
    resource_policy(
        "canary-analysis",
        "A canary states the metric thresholds that promote or roll it back.",
        check_canary_analysis,
    ),
]

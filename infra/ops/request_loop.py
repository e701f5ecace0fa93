"""A bounded request loop against a model server's Service, run inside the cluster during a rollout.

A port-forward binds one pod and drops when that pod goes, so a rollout can only be watched
from inside the cluster: this file runs as a Kubernetes Job (scripts/e2e/request-loop-job.yaml)
with nothing but the Python standard library. Each round sends one REST Predict with an image
and asks for the model's version states, both through the Service. It stops once every answer
in a row of `--settle` rounds reports only `--until-version` AVAILABLE, or fails at
`--deadline`. Exit 0 only when no request failed, the loop saw the old version before the new
one (so it spanned the rollout), and the new version settled.

TF Serving's REST API: POST /v1/models/<name>:predict with `{"instances": [...]}`, a DT_STRING
input as `{"b64": ...}`; GET /v1/models/<name> answers `model_version_status`
(https://www.tensorflow.org/tfx/serving/api_rest).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The serving contract (model_images/contract.py, infra/ops/smoke.py); this file must run
# alone in a container, so the two names are repeated here and tested to match.
SIGNATURE = "serving_default"
INPUT_KEY = "image_bytes"
MAX_ERRORS_KEPT = 20


@dataclass
class Tally:
    """What the loop saw: requests, failures, and the AVAILABLE version sets in order."""

    requests: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    versions_seen: set[int] = field(default_factory=set)
    settled_rounds: int = 0

    def record_failure(self, what: str) -> None:
        self.requests += 1
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(what)

    def record_ok(self) -> None:
        self.requests += 1

    def record_versions(self, available: set[int], target: int) -> None:
        self.versions_seen |= available
        self.settled_rounds = self.settled_rounds + 1 if available == {target} else 0

    def summary(self, *, from_version: int, until_version: int, settle: int) -> dict[str, Any]:
        settled = self.settled_rounds >= settle
        spanned = from_version in self.versions_seen
        return {
            "requests": self.requests,
            "failed": self.failed,
            "versionsSeen": sorted(self.versions_seen),
            "settled": settled,
            "spannedRollout": spanned,
            "ok": self.failed == 0 and settled and spanned,
            "errors": self.errors,
            "fromVersion": from_version,
            "untilVersion": until_version,
        }


def predict_body(image: bytes) -> bytes:
    instance = {INPUT_KEY: {"b64": base64.b64encode(image).decode("ascii")}}
    return json.dumps({"signature_name": SIGNATURE, "instances": [instance]}).encode("utf-8")


def available_versions(document: dict[str, Any]) -> set[int]:
    return {
        int(entry.get("version", 0))
        for entry in document.get("model_version_status") or []
        if entry.get("state") == "AVAILABLE"
    }


# A transport: (method, url, body) -> (HTTP status, parsed JSON body). Raises OSError on failure.
Transport = Callable[[str, str, bytes | None], tuple[int, Any]]


def urllib_transport(timeout: float) -> Transport:
    def send(method: str, url: str, body: bytes | None) -> tuple[int, Any]:
        request = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            return error.code, None
        except json.JSONDecodeError as error:
            raise OSError(f"answer is not JSON: {error.msg}") from None

    return send


@dataclass(frozen=True)
class LoopConfig:
    rest: str
    model: str
    image: bytes
    from_version: int
    until_version: int
    settle: int
    deadline_seconds: float
    interval_seconds: float


def _say(text: str) -> None:
    # Flushed: the workflow reads this line from the pod's log while the loop still runs.
    print(text, flush=True)


def run(
    config: LoopConfig,
    send: Transport,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Loop until the new version settled or the deadline passed; the summary decides."""
    base = f"{config.rest.rstrip('/')}/v1/models/{config.model}"
    body = predict_body(config.image)
    tally = Tally()
    started = clock()
    announced = False
    while clock() - started < config.deadline_seconds:
        try:
            status, answer = send("POST", f"{base}:predict", body)
            if status == 200 and isinstance(answer, dict) and "predictions" in answer:
                tally.record_ok()
            else:
                tally.record_failure(f"predict: HTTP {status}")
        except OSError as error:
            tally.record_failure(f"predict: {error}")
        try:
            status, answer = send("GET", base, None)
            if status == 200 and isinstance(answer, dict):
                tally.record_ok()
                tally.record_versions(available_versions(answer), config.until_version)
            else:
                tally.record_failure(f"status: HTTP {status}")
        except OSError as error:
            tally.record_failure(f"status: {error}")
        if not announced and tally.requests > tally.failed:
            # The workflow waits for this line before it starts the rollout.
            (say or _say)("request-loop: serving answers; loop running")
            announced = True
        if tally.settled_rounds >= config.settle:
            break
        pause(config.interval_seconds)
    return tally.summary(
        from_version=config.from_version, until_version=config.until_version, settle=config.settle
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rest", required=True, help="REST base URL of the Service")
    parser.add_argument("--model", required=True)
    parser.add_argument("--image", required=True, help="JPEG or PNG sent with every Predict")
    parser.add_argument("--from-version", type=int, required=True)
    parser.add_argument("--until-version", type=int, required=True)
    parser.add_argument("--settle", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=600.0)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    image = Path(args.image).read_bytes()
    config = LoopConfig(
        rest=args.rest,
        model=args.model,
        image=image,
        from_version=args.from_version,
        until_version=args.until_version,
        settle=args.settle,
        deadline_seconds=args.deadline,
        interval_seconds=args.interval,
    )
    summary = run(config, urllib_transport(args.timeout))
    print(json.dumps(summary, sort_keys=True), flush=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""checkov's `terraform_plan` framework over every GKE stack's GCP resources, and its report.

Each GKE stack is previewed offline, its GCP resources rendered as a Terraform plan JSON
(infra/preview/tfplan.py), and judged by checkov in its own environment (.venv-checkov).
Deliberate skips live in .checkov.yaml, one per line with its reason beside it; a skip
that depends on a stack setting is decided here from the stack file. docs/checkov-gcp.md
is generated from the run: `python -m infra.ops.checkov_gcp` (or `make checkov-gcp-doc`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.config import StackSpec
from infra.preview.tfplan import render_plan

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CONFIG = ROOT / ".checkov.yaml"
DOC = ROOT / "docs" / "checkov-gcp.md"
GKE_STACKS = ("dev", "staging", "prod")

_SKIP_LINE = re.compile(r"^\s*-\s*(?P<check>CKV2?_GCP_\d+)\s*#\s*(?P<reason>\S.*)$")

# Checks that checkov has but cannot decide on servestack's plan; tests/platform/
# test_checkov_gke.py asserts them on the captured inputs instead.
MIRRORED: Mapping[str, str] = {
    "CKV_GCP_22": (
        "Container-Optimized OS on every node. checkov answers UNKNOWN for a pool without a "
        "`version` below 1.24 (checkov/terraform/checks/resource/gcp/GKEUseCosImage.py)."
    ),
    "CKV2_GCP_1": (
        "Nodes never run as the Compute Engine default account. checkov only looks for a "
        "`google_project_default_service_accounts` resource joined to the cluster "
        "(checkov/terraform/checks/graph_checks/gcp/GKEClustersAreNotUsingDefaultServiceAccount"
        ".json), which servestack never declares."
    ),
}


class CheckovError(RuntimeError):
    """checkov did not run, or printed no report."""


def config_skips(text: str) -> dict[str, str]:
    """The GCP checks .checkov.yaml skips, each with the reason written beside it."""
    skips: dict[str, str] = {}
    in_list = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("skip-check:"):
            in_list = True
            continue
        if in_list and line and not line[0].isspace() and not line.startswith("#"):
            in_list = False
        if in_list and "_GCP_" in line:
            found = _SKIP_LINE.match(line)
            if found is None:
                raise ValueError(f".checkov.yaml:{number}: skip-check entry needs `# reason`")
            skips[found["check"]] = found["reason"].strip()
    return skips


BOOTSTRAP_SCOPE = "bootstrap: "


def scoped_skips(skips: Mapping[str, str], bootstrap: bool) -> dict[str, str]:
    """The config skips that hold for one plan: `bootstrap:` reasons for the day-0 plan only."""
    return {
        check: reason.removeprefix(BOOTSTRAP_SCOPE)
        for check, reason in skips.items()
        if bootstrap or not reason.startswith(BOOTSTRAP_SCOPE)
    }


def stack_skips(spec: StackSpec | None) -> dict[str, str]:
    """Checks a stack file turns off on purpose; the reason follows its setting."""
    skips: dict[str, str] = {}
    if spec is not None and spec.cluster is not None and not spec.cluster.binary_authorization:
        skips["CKV_GCP_66"] = (
            "the stack file sets `cluster.binaryAuthorization: false`: enforcing needs a "
            "Binary Authorization policy in the project that admits the images, which "
            "servestack does not declare"
        )
    return skips


@dataclass(frozen=True)
class CheckResult:
    check: str
    name: str
    resource: str
    passed: bool


@dataclass
class StackReport:
    stack: str
    results: list[CheckResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    parsing_errors: int = 0

    @property
    def failed(self) -> list[CheckResult]:
        """Failures that no deliberate skip covers: must be none."""
        return [r for r in self.results if not r.passed and r.check not in self.skipped]

    @property
    def stale_skips(self) -> list[str]:
        """Skipped checks that checkov ran here and that all passed: the skip can go."""
        ran = {r.check for r in self.results}
        failing = {r.check for r in self.results if not r.passed}
        return sorted(c for c in self.skipped if c in ran and c not in failing)


def write_plan(root: Path, stack: str, directory: Path) -> tuple[StackSpec, Path]:
    """Preview one stack offline and write its GCP resources as `<stack>.json`."""
    from infra.preview.engine import run_offline
    from infra.preview.stackfile import load_spec

    plan = run_offline(root, stack, with_policies=False)
    return load_spec(root, stack), write_tfplan(plan.to_json(), directory / f"{stack}.json")


def write_bootstrap_plan(root: Path, stack: str, directory: Path) -> tuple[None, Path]:
    """Preview a bootstrap stack offline; write its GCP resources as `bootstrap-<stack>.json`."""
    from bootstrap.preview import run_bootstrap_offline

    plan = run_bootstrap_offline(root, stack, with_policies=False)
    return None, write_tfplan(plan.to_json(), directory / f"bootstrap-{stack}.json")


def write_tfplan(plan: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(render_plan(plan), indent=1, sort_keys=True) + "\n")
    return path


def run_checkov(directory: Path, checkov: Path = CHECKOV) -> dict[str, Any]:
    """checkov's JSON report on the Terraform plan files of a directory, offline, unskipped.

    Skips are applied to the results afterwards (`StackReport`), so a skip whose check
    no longer fails is seen and can be removed.
    """
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    command = [
        str(checkov),
        "--framework",
        "terraform_plan",
        "--skip-download",
        "--output",
        "json",
        "--directory",
        str(directory),
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            cwd=directory,
            timeout=600,
            check=False,
        )
    except FileNotFoundError as error:
        raise CheckovError(f"{checkov}: not found; `make checkov-env` creates it") from error
    if not done.stdout.strip():
        raise CheckovError(f"checkov printed no report: {done.stderr[-500:]}")
    report = json.loads(done.stdout)
    if isinstance(report, list):
        (report,) = [r for r in report if r.get("check_type") == "terraform_plan"]
    if not isinstance(report, dict):
        raise CheckovError("checkov printed a report of an unexpected shape")
    return report


def results_by_file(report: Mapping[str, Any]) -> dict[str, list[CheckResult]]:
    """checkov's passed and failed checks, by plan file name (`prod.json`)."""
    found: dict[str, list[CheckResult]] = {}
    results = report.get("results") or {}
    for key, passed in (("passed_checks", True), ("failed_checks", False)):
        for c in results.get(key) or []:
            result = CheckResult(
                str(c["check_id"]), str(c["check_name"]), str(c["resource"]), passed
            )
            found.setdefault(Path(str(c["file_path"])).name, []).append(result)
    return {
        name: sorted(rs, key=lambda r: (r.check, r.resource, r.passed))
        for name, rs in found.items()
    }


def judge(
    plans: Mapping[str, tuple[StackSpec | None, Path]],
    directory: Path,
    config_text: str,
    checkov: Path = CHECKOV,
) -> list[StackReport]:
    """One checkov run over the written plans; each stack's skips applied to its results."""
    report = run_checkov(directory, checkov)
    by_file = results_by_file(report)
    summary = report.get("summary") or {}
    return [
        StackReport(
            stack=stack,
            results=by_file.get(path.name, []),
            skipped={**scoped_skips(config_skips(config_text), spec is None), **stack_skips(spec)},
            parsing_errors=int(summary.get("parsing_errors", 0)),
        )
        for stack, (spec, path) in plans.items()
    ]


def judge_all(root: Path, directory: Path, checkov: Path = CHECKOV) -> list[StackReport]:
    """Preview, render and judge every GKE stack and every bootstrap stack."""
    from bootstrap.loader import available

    plans: dict[str, tuple[StackSpec | None, Path]] = {
        stack: write_plan(root, stack, directory) for stack in GKE_STACKS
    }
    for stack in available(root):
        plans[f"bootstrap-{stack}"] = write_bootstrap_plan(root, stack, directory)
    return judge(plans, directory, (root / ".checkov.yaml").read_text(), checkov)


# ------------------------------------------------------------------ the doc


def _resource_type(resource: str) -> str:
    return resource.split(".", 1)[0]


def _cell(report: StackReport, check: str) -> str:
    mine = [r for r in report.results if r.check == check]
    if not mine:
        return "n/a"
    failed = sum(not r.passed for r in mine)
    if check in report.skipped:
        return f"skipped ({failed} would fail)" if failed else "skipped (passes)"
    return f"**failed** ({failed})" if failed else f"passed ({len(mine)})"


def render_doc(reports: Sequence[StackReport]) -> str:
    """docs/checkov-gcp.md from a run: every check, every stack, every deliberate skip."""
    names: dict[str, str] = {}
    types: dict[str, set[str]] = {}
    for report in reports:
        for result in report.results:
            names[result.check] = result.name.strip()
            types.setdefault(result.check, set()).add(_resource_type(result.resource))
    skips: dict[str, str] = {}
    for report in reports:
        for check, reason in report.skipped.items():
            skips.setdefault(check, reason)
    stacks = [r.stack for r in reports]
    lines = [
        "# checkov on the GCP side",
        "",
        "<!-- Generated by `python -m infra.ops.checkov_gcp` from a checkov run; do not edit. -->",
        "",
        "Every GKE stack and the day-0 bootstrap (`bootstrap/`, column `bootstrap-<name>`) is",
        "previewed offline, its GCP resources are rendered as a Terraform",
        "plan JSON (`infra/preview/tfplan.py`), and checkov's own `terraform_plan` framework",
        "judges it, with no check skipped; the deliberate skips below are then applied to its",
        "results, so a skip whose check would pass shows up (and fails the test).",
        "`tests/platform/test_checkov_gcp.py` requires 0 failed checks and that this page",
        "matches a fresh run. The `local` stack declares no GCP resource. A cell counts the",
        "resources the check judged.",
        "",
        f"| Check | Name | Resource types | {' | '.join(stacks)} |",
        f"|---|---|---|{'---|' * len(stacks)}",
    ]
    for check in sorted(set(names) | set(skips), key=_check_key):
        name = names.get(check, "")
        kinds = ", ".join(f"`{t}`" for t in sorted(types.get(check, ())))
        cells = " | ".join(_cell(r, check) for r in reports)
        lines.append(f"| {check} | {name} | {kinds} | {cells} |")
    lines += ["", "## Skipped on purpose", ""]
    for check in sorted(skips, key=_check_key):
        where = [r.stack for r in reports if check in r.skipped]
        scope = "every plan" if where == stacks else ", ".join(where)
        lines.append(f"- **{check}** ({scope}): {skips[check]}.")
    lines += [
        "",
        "Skips that hold for every stack are listed in `.checkov.yaml`, each with its reason;",
        "a skip that follows a stack setting is decided in `infra/ops/checkov_gcp.py`.",
        "",
        "## Asserted on the captured plan instead",
        "",
    ]
    lines += [f"- **{check}**: {why}" for check, why in MIRRORED.items()]
    return "\n".join(lines) + "\n"


def _check_key(check: str) -> tuple[int, int]:
    return (1 if check.startswith("CKV2_") else 0, int(check.rsplit("_", 1)[1]))


def main(argv: Sequence[str] = ()) -> int:
    """Write docs/checkov-gcp.md from a fresh checkov run; exit 1 if a check failed."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        reports = judge_all(ROOT, Path(tmp))
    DOC.write_text(render_doc(reports))
    failed = [f"{r.stack}: {f.check} {f.resource}" for r in reports for f in r.failed]
    for line in failed:
        print(line, file=sys.stderr)
    print(f"wrote {DOC.relative_to(ROOT)}; {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

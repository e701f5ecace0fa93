"""The Pulumi entry point of the bootstrap: read the typed config, declare day 0."""

from __future__ import annotations

from pathlib import Path

import pulumi

from bootstrap.loader import load_runtime

ROOT = Path(__file__).resolve().parents[1]

spec, targets = load_runtime(ROOT)
from bootstrap.program import main  # noqa: E402

for key, value in main(ROOT, spec, targets).items():
    pulumi.export(key, value)

"""docs/gke-rules.md lists the source of every rule the constraint modules cite."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITING = [
    *sorted((ROOT / "infra" / "gke").glob("*.py")),
    ROOT / "infra" / "config" / "metrics.py",
    ROOT / "infra" / "config" / "replacement.py",
]


def test_every_cited_source_is_in_the_rules_document() -> None:
    doc = (ROOT / "docs" / "gke-rules.md").read_text(encoding="utf-8")
    cited = {
        url.rstrip(").,")
        for path in CITING
        for url in re.findall(r"https://[^\s\"'`]+", path.read_text(encoding="utf-8"))
    }
    assert cited
    assert sorted(url for url in cited if url not in doc) == []

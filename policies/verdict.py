"""A policy finding as plans, previews and diffs record it. Free of SDK imports on purpose."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """One violation: which policy, how binding, on which resource ("" for the stack)."""

    policy: str
    level: str
    urn: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "policy": self.policy,
            "level": self.level,
            "urn": self.urn,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            policy=str(data.get("policy", "")),
            level=str(data.get("level", "")),
            urn=str(data.get("urn") or ""),
            message=str(data.get("message", "")),
        )

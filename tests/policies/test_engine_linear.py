"""The offline engine prepares each resource once, whatever the number of policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi_policy.proxy import unknown_checking_proxy

import policies.engine as engine
import policies.values as values
from infra.preview.engine import run_offline
from policies.engine import evaluate, load_policy_config

ROOT = Path(__file__).resolve().parents[2]


def test_each_resource_is_deserialised_and_made_plain_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = run_offline(ROOT, "staging", with_policies=False)
    items = [r.to_json() for r in plan.resources]
    providers = {r["provider"] for r in items if r["provider"]}
    deserialised: list[Any] = []
    plain_calls: list[Any] = []
    real_deserialise, real_plain = engine.deserialize_properties, values.to_plain

    def counting_deserialise(props: Any, *args: Any) -> Any:
        deserialised.append(props)
        return real_deserialise(props, *args)

    def counting_plain(value: Any) -> Any:
        plain_calls.append(value)
        return real_plain(value)

    monkeypatch.setattr(engine, "deserialize_properties", counting_deserialise)
    monkeypatch.setattr("policies.base.to_plain", counting_plain)
    verdicts = evaluate(items, load_policy_config(ROOT, "staging"))
    assert verdicts == []
    assert len(deserialised) == len(items) + len(providers)
    # One plain view per resource and per provider at most, however many policies read it.
    proxy = type(unknown_checking_proxy({}))
    property_views = [c for c in plain_calls if isinstance(c, proxy)]
    assert property_views
    assert len(property_views) <= len(items) + len(providers)

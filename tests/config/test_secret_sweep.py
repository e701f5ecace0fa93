"""A planted secret reaches no output: table, JSON plan, manifests, diff Markdown, errors, logs.

Offline there is no secrets provider, so the reader replaces each `secure:` value by a
placeholder the engine holds as secret. Here the placeholder is the planted plaintext
itself, so the program receives the secret exactly as `pulumi up` would hand it over
decrypted; every output is then searched for it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from rich.console import Console

from infra.config import ConfigError
from infra.preview import stackfile
from infra.preview.engine import run_offline
from infra.preview.manifests import write_manifests
from infra.preview.render import render
from tests.config.hostile import CIPHERTEXT

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "hunter2-PLANTED-s3cret"


def _stack_file(tmp_path: Path, password: str) -> Path:
    text = (ROOT / "stacks/Pulumi.local.yaml").read_text()
    path = tmp_path / "Pulumi.local.yaml"
    path.write_text(
        text.replace(
            "    registry: localhost:5001\n",
            f"    registry: localhost:5001\n    registryPassword:\n      {password}\n",
        )
    )
    return path


def test_planted_secret_reaches_no_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(stackfile, "SECRET_PLACEHOLDER", PLANTED)
    caplog.set_level(logging.DEBUG)
    path = _stack_file(tmp_path, f"secure: {CIPHERTEXT}")
    config = stackfile.read_stack_config(ROOT, "local", path)
    assert PLANTED in config.values["servestack:local"]  # the program does get the plaintext
    plan = run_offline(ROOT, "local", stack_file=path)
    (image,) = plan.by_type("docker-build:index:Image")
    assert image.inputs["registries"] == "[secret]"  # it was used, and stayed secret

    table = Console(record=True, width=200)
    render(plan, table)
    from infra.ops.diff import diff_plans
    from infra.ops.markdown import render as markdown

    before = json.loads(json.dumps(plan.to_json()))
    before["resources"] = before["resources"][1:]
    comment = markdown([diff_plans("local", before, plan.to_json())], base_ref="main")
    written = write_manifests(plan.resources, tmp_path / "manifests")
    outputs = {
        "table": table.export_text(),
        "json plan": json.dumps(plan.to_json(), sort_keys=True),
        "manifests": "".join(p.read_text() for p in written),
        "diff markdown": comment,
        "logs": caplog.text,
    }
    assert written and comment
    for name, text in outputs.items():
        assert PLANTED not in text, name


@pytest.mark.parametrize(
    "value",
    [
        f"[{PLANTED}]",
        f"{{nested: {PLANTED}}}",
        f"{{secure: {PLANTED}}}",
        f"{{secure: [{PLANTED}]}}",
    ],
    ids=["list", "mapping", "not-ciphertext", "secure-list"],
)
def test_a_bad_secret_value_is_never_echoed(tmp_path: Path, value: str) -> None:
    text = (ROOT / "stacks/Pulumi.local.yaml").read_text()
    file = tmp_path / "bad.yaml"
    file.write_text(
        text.replace(
            "    registry: localhost:5001\n",
            f"    registry: localhost:5001\n    registryPassword: {value}\n",
        )
    )
    with pytest.raises(ConfigError) as caught:
        stackfile.load_config_spec(stackfile.read_stack_config(ROOT, "local", file))
    assert PLANTED not in str(caught.value)
    assert caught.value.key.startswith("servestack:local")


def test_secret_keys_of_the_engine_hide_their_inputs() -> None:
    from infra.config import parse_config

    raw = {
        "servestack:labels": json.dumps({"team": "ml", "env": "t", "cost-center": "c"}),
        "servestack:kubernetesVersion": "1.34",
        "servestack:local": json.dumps({"kubeconfigContext": ["x"], "registryPassword": PLANTED}),
        "servestack:servers": json.dumps([{"name": "s", "models": []}]),
    }
    with pytest.raises(ConfigError) as caught:
        parse_config("t", raw, file="f.yaml", secret_keys=["servestack:local"])
    assert PLANTED not in str(caught.value)
    assert "['x']" not in str(caught.value)  # no input shown under a secret key

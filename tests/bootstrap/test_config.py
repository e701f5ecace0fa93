"""A bad bootstrap stack file: one line naming the file and the dotted key, exit 2."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bootstrap.loader import load, read_config
from infra.config import ConfigError
from tests.bootstrap.conftest import ROOT

GOOD = (ROOT / "bootstrap/stacks/Pulumi.acme.yaml").read_text(encoding="utf-8")


def project(tmp_path: Path, text: str) -> Path:
    for name in ("Pulumi.yaml", "stacks", "policies", "model_images", "bootstrap"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "bootstrap/stacks/Pulumi.acme.yaml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            'repositoryId: "812734019"',
            "repositoryId: acme",
            "servestack-bootstrap:github.repositoryId",
        ),
        (
            "  servestack-bootstrap:stacks: [dev, staging, prod]\n",
            "",
            "servestack-bootstrap:stacks",
        ),
        ("[dev, staging, prod]", "[dev, qa]", "servestack-bootstrap:stacks"),
        ("[dev, staging, prod]", "[local]", "servestack:cluster"),
        ("rotationDays: 90", "rotationDays: 400", "servestack-bootstrap:kms.rotationDays"),
        ("  gcp:project: acme-ml-serving-ops\n", "", "gcp:project"),
        ("servestack-bootstrap:state:", "servestack-bootstrap:stat:", "servestack-bootstrap:state"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in GOOD
    root = project(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load(root, read_config(root, "acme"))
    assert caught.value.key == key or caught.value.key.startswith(key), str(caught.value)
    file = caught.value.file
    assert file in ("bootstrap/stacks/Pulumi.acme.yaml", "stacks/Pulumi.local.yaml")


def test_cli_exits_2_with_one_line(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD.replace('repositoryId: "812734019"', "repositoryId: acme"))
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli.app", "preview", "--offline", "--bootstrap", "acme"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(
        "bootstrap/stacks/Pulumi.acme.yaml: servestack-bootstrap:github.repositoryId:"
    )
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "projects/acme-ml-serving-ops/locations/europe-west4/keyRings/servestack/cryptoKeys/x",
            "holds the Pulumi secrets keys",
        ),
        (
            "projects/elsewhere/locations/europe-west4/keyRings/gke/cryptoKeys/x",
            "in the stack's own project acme-ml-serving-prod",
        ),
    ],
)
def test_gke_key_must_be_one_the_bootstrap_can_create(
    tmp_path: Path, key: str, message: str
) -> None:
    root = project(tmp_path, GOOD)
    prod = root / "stacks/Pulumi.prod.yaml"
    text = prod.read_text(encoding="utf-8")
    old = "projects/acme-ml-serving-prod/locations/europe-west4/keyRings/gke/cryptoKeys/"
    assert old in text
    prod.write_text(text.replace(old, key), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load(root, read_config(root, "acme"))
    assert caught.value.file == "stacks/Pulumi.prod.yaml"
    assert caught.value.key == "servestack:cluster.secretsEncryptionKey"

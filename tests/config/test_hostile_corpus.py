"""A corpus of hostile stack files, one case per class (more where a class has variants).

Each ends in a `ConfigError`: lines naming the file (and the key, where there is one),
free of control characters, short, never holding the planted secret, before anything is
declared. The classes: an unbounded loader, unbounded integers, raw user text in error
lines, secrets, derived-name collisions, paths leaving the repository, free text without a
format, and several errors at once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError
from infra.config.errors import KEY_LIMIT, MESSAGE_LIMIT
from infra.preview.stackfile import load_spec
from tests.config.hostile import CIPHERTEXT

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "hunter2-PLANTED-s3cret"
Doc = dict[str, Any]


def _base(stack: str) -> Doc:
    return yaml.safe_load((ROOT / f"stacks/Pulumi.{stack}.yaml").read_text())


def _server(doc: Doc, index: int = 0) -> Doc:
    server: Doc = doc["config"]["servestack:servers"][index]
    return server


def _model(doc: Doc) -> Doc:
    model: Doc = _server(doc)["models"][0]
    return model


def _set(key: str, value: Any) -> Callable[[Doc], None]:
    return lambda d: d["config"].__setitem__(key, value)


def _add_server(name: str, **extra: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        twin = copy.deepcopy(_server(doc))
        twin["name"] = name
        twin.pop("canary", None)
        twin.update(extra)
        doc["config"]["servestack:servers"].append(twin)

    return mutate


# (id, stack, mutation of the parsed file, key the line names, fragment of the message)
MUTATIONS: list[tuple[str, str, Callable[[Doc], None], str, str]] = [
    # unbounded integers
    (
        "version-2^64",
        "prod",
        lambda d: _model(d).update(versions=[2**64]),
        "servestack:servers",
        "integer out of range",
    ),
    (
        "version-2^53",
        "prod",
        lambda d: _model(d).update(versions=[2**53]),
        "servestack:servers[0].models[0].versions[0]",
        "integer out of range",
    ),
    (
        "label-version-huge",
        "staging",
        lambda d: _model(d).update(versionLabels={"stable": 2**60}),
        "servestack:servers[0].models[0].versionLabels.stable",
        "integer out of range",
    ),
    (
        "gpu-budget-2^70",
        "prod",
        _set("servestack:gpuBudget", 2**70),
        "servestack:gpuBudget",
        "less than or equal to 4096",
    ),
    (
        "enqueued-batches-huge",
        "prod",
        lambda d: _server(d).update(batching={"maxEnqueuedBatches": 10**12}),
        "servestack:servers[0].batching.maxEnqueuedBatches",
        "less than or equal",
    ),
    (
        "nan",
        "prod",
        _set("servestack:gpuBudget", float("nan")),
        "servestack:gpuBudget",
        "valid integer",
    ),
    # raw user text in error lines
    (
        "newline-in-key",
        "prod",
        _set("servestack:evil\nkey", 1),
        "servestack:evil\\x0akey",
        "control character",
    ),
    (
        "escape-in-region",
        "prod",
        _set("gcp:region", "\x1b[31meurope-west4"),
        "gcp:region",
        "control character",
    ),
    (
        "bidi-in-label",
        "prod",
        lambda d: d["config"]["servestack:labels"].update(team="ml\u202eplatform"),
        "servestack:labels.team",
        "control character",
    ),
    (
        "nul-in-server-name",
        "prod",
        lambda d: _server(d).update(name="inc\x00eption"),
        "servestack:servers[0].name",
        "control character",
    ),
    ("long-key", "prod", _set("servestack:" + "k" * 5000, 1), "servestack:kkkk", "longer than"),
    # secrets
    (
        "secret-type-error",
        "local",
        lambda d: d["config"]["servestack:local"].update(registryPassword=[PLANTED]),
        "servestack:local.registryPassword",
        "must be",
    ),
    (
        "secret-in-plain-text",
        "local",
        lambda d: d["config"]["servestack:local"].update(registryPassword=PLANTED),
        "servestack:local.registryPassword",
        "must be a secure value",
    ),
    (
        "secure-on-gcp-project",
        "prod",
        _set("gcp:project", {"secure": CIPHERTEXT}),
        "gcp:project",
        "must not be a secure value",
    ),
    (
        "secure-on-nested-plain-key",
        "prod",
        lambda d: d["config"]["servestack:labels"].update(team={"secure": CIPHERTEXT}),
        "servestack:labels.team",
        "must not be a secure value",
    ),
    (
        "secure-not-ciphertext",
        "local",
        lambda d: d["config"]["servestack:local"].update(registryPassword={"secure": PLANTED}),
        "servestack:local.registryPassword",
        "not ciphertext",
    ),
    (
        "secure-short-nonce",
        "local",
        lambda d: d["config"]["servestack:local"].update(
            registryPassword={"secure": "v1:AAAA:" + CIPHERTEXT.split(":")[2]}
        ),
        "servestack:local.registryPassword",
        "not ciphertext",
    ),
    (
        "secure-v2",
        "local",
        lambda d: d["config"]["servestack:local"].update(
            registryPassword={"secure": CIPHERTEXT.replace("v1", "v2", 1)}
        ),
        "servestack:local.registryPassword",
        "not ciphertext",
    ),
    (
        "bad-encryption-salt",
        "local",
        lambda d: d.update(encryptionsalt="v1:not base64!:x"),
        "encryptionsalt",
        "v1:<base64 salt>",
    ),
    (
        "gcpkms-bad-url",
        "local",
        lambda d: d.update(secretsprovider="gcpkms://nowhere"),
        "secretsprovider",
        "gcpkms://projects/",
    ),
    (
        "gcpkms-key-not-base64",
        "local",
        lambda d: d.update(
            secretsprovider="gcpkms://projects/acme-ml/locations/global/keyRings/r/cryptoKeys/k",
            encryptedkey="not base64!",
        ),
        "encryptedkey",
        "base64",
    ),
    (
        "unknown-provider",
        "local",
        lambda d: d.update(secretsprovider="awskms://x"),
        "secretsprovider",
        "passphrase or gcpkms",
    ),
    # derived-name collisions
    (
        "server-named-canary-twin",
        "staging",
        _add_server("resnet-canary"),
        "servestack:servers[2].name",
        "Deployment 'resnet-canary'",
    ),
    (
        "server-named-internal-twin",
        "prod",
        lambda d: (
            d["config"]["servestack:serving"].update(
                expose="internal", sourceRanges=["10.0.0.0/8"]
            ),
            _add_server("inception-internal")(d),
        ),
        "servestack:servers[",
        "Service 'inception-internal'",
    ),
    (
        "server-named-nodeport-twin",
        "local",
        lambda d: (
            d["config"].__setitem__("servestack:serving", {"expose": "nodeport"}),
            _add_server("tiny-nodeport")(d),
        ),
        "servestack:servers[1].name",
        "Service 'tiny-nodeport'",
    ),
    (
        "role-slug-twin",
        "prod",
        lambda d: d["config"]["servestack:cluster"].update(
            nodeServiceAccountRoles=["roles/logging.logWriter", "roles/logging.LogWriter"]
        ),
        "servestack:cluster.nodeServiceAccountRoles[1]",
        "same IAM binding",
    ),
    # paths leaving the repository
    (
        "source-path-dotdot",
        "local",
        lambda d: _model(d)["source"].update(path="../../etc"),
        "servestack:servers[0].models[0].source.path",
        "inside the repository",
    ),
    (
        "source-path-absolute",
        "local",
        lambda d: _model(d)["source"].update(path="/etc"),
        "servestack:servers[0].models[0].source.path",
        "externalPaths",
    ),
    (
        "model-store-dotdot",
        "local",
        _set("servestack:modelStore", "build/../../x"),
        "servestack:modelStore",
        "`..` is not allowed",
    ),
    (
        "model-store-absolute",
        "local",
        _set("servestack:modelStore", "/var/models"),
        "servestack:modelStore",
        "externalPaths",
    ),
    # free text without a format
    (
        "target-average-abc",
        "prod",
        lambda d: _server(d)["autoscaling"].update(
            metric={"type": "Pods", "name": "requests", "targetAverageValue": "abc"}
        ),
        "servestack:servers[0].autoscaling.metric.targetAverageValue",
        "must match",
    ),
    (
        "image-with-newline",
        "prod",
        lambda d: _server(d).update(image="gcr.io/x/y:1\nevil"),
        "servestack:servers[0].image",
        "control character",
    ),
    (
        "image-uppercase-path",
        "prod",
        lambda d: _server(d).update(image="gcr.io/Acme/Serve:1"),
        "servestack:servers[0].image",
        "must match",
    ),
    (
        "pool-label-key",
        "prod",
        lambda d: d["config"]["servestack:nodePools"][0].update(labels={"bad key!": "x"}),
        "servestack:nodePools[0].labels",
        "label keys",
    ),
    ("project-format", "prod", _set("gcp:project", "Acme_Prod"), "gcp:project", "must match"),
    ("region-prefix", "prod", _set("gcp:region", "europe"), "gcp:region", "unknown GCP region"),
    (
        "zone-not-in-table",
        "prod",
        lambda d: d["config"]["servestack:cluster"].update(location="europe-west4-z"),
        "servestack:cluster.location",
        "one of its zones",
    ),
    (
        "service-account-format",
        "prod",
        lambda d: _server(d).update(gcpServiceAccount="not-an-email"),
        "servestack:servers[0].gcpServiceAccount",
        "must match",
    ),
    (
        "registry-host",
        "local",
        lambda d: d["config"]["servestack:local"].update(registry="local host:5001"),
        "servestack:local.registry",
        "must match",
    ),
]


def _run(tmp_path: Path, stack: str, text: str) -> ConfigError:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_spec(tmp_path, stack)
    return caught.value


def _assert_clean(error: ConfigError, stack: str) -> list[str]:
    lines = str(error).split("\n")
    assert 1 <= len(lines) <= 4, lines
    for line in lines:
        assert line.startswith(f"stacks/Pulumi.{stack}.yaml: ") or line.startswith("and "), line
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in line), repr(line)
        assert "\u202e" not in line
        assert PLANTED not in line
        assert len(line) <= len(f"stacks/Pulumi.{stack}.yaml") + KEY_LIMIT + MESSAGE_LIMIT + 4
    return lines


@pytest.mark.parametrize(
    ("stack", "mutate", "key", "fragment"),
    [case[1:] for case in MUTATIONS],
    ids=[case[0] for case in MUTATIONS],
)
def test_hostile_value(
    tmp_path: Path, stack: str, mutate: Callable[[Doc], None], key: str, fragment: str
) -> None:
    doc = _base(stack)
    mutate(doc)
    error = _run(tmp_path, stack, yaml.safe_dump(doc, allow_unicode=True, width=10**6))
    lines = _assert_clean(error, stack)
    assert error.key.startswith(key), error.key
    assert fragment in lines[0], lines[0]


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
# (id, raw text, fragment)
RAW: list[tuple[str, str, str]] = [
    (
        "billion-laughs",
        "config:\n  servestack:x: 1\n" + LAUGHS.replace("\n", "\n  ").join(["x:\n  ", ""]),
        "once aliases expand",
    ),
    (
        "many-aliases",
        "a: &a 1\nconfig:\n  servestack:x: [" + ", ".join(["*a"] * 300) + "]\n",
        "more than 256 aliases",
    ),
    (
        "deep-flow",
        "config:\n  servestack:x: " + "[" * 5000 + "]" * 5000 + "\n",
        "nested deeper than",
    ),
    (
        "deep-block",
        "config:\n" + "".join(" " * (2 * i + 2) + f"k{i}:\n" for i in range(200)),
        "nested deeper than",
    ),
    ("recursive-alias", "config:\n  servestack:x: &a [*a]\n", "refers to its own anchor"),
    ("huge-file", "config:\n  servestack:x: '" + "y" * (1024 * 1024 + 10) + "'\n", "larger than"),
    ("not-utf8", "config:\n  servestack:x: '\udcff'\n", "not UTF-8"),
    ("control-in-yaml-key", 'config:\n  "servestack:\\e[2Jk": 1\n', "control character"),
]


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in RAW], ids=[c[0] for c in RAW])
def test_hostile_file(tmp_path: Path, text: str, fragment: str) -> None:
    (tmp_path / "stacks").mkdir()
    data = text.encode("utf-8", "surrogateescape")
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        load_spec(tmp_path, "prod")
    lines = _assert_clean(caught.value, "prod")
    assert fragment in lines[0], lines[0]


def test_several_errors_are_a_few_lines_then_a_count(tmp_path: Path) -> None:
    doc = _base("prod")
    for server in doc["config"]["servestack:servers"]:
        server["resources"]["gpus"] = "many"
        server["rollout"] = {"maxSurge": "x", "maxUnavailable": "y", "preStopSeconds": "z"}
    error = _run(tmp_path, "prod", yaml.safe_dump(doc))
    lines = _assert_clean(error, "prod")
    assert len(lines) == 4
    assert lines[-1].startswith("and ") and lines[-1].endswith(" more")
    assert int(lines[-1].split()[1]) >= 1


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    from infra.config.paths import check_resolved
    from infra.preview.stackfile import load_spec as load

    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "stacks" / "Pulumi.local.yaml").write_text(
        (ROOT / "stacks/Pulumi.local.yaml").read_text()
    )
    spec = load(project, "local")
    (project / "build").mkdir()
    (project / spec.model_store).symlink_to(outside)
    with pytest.raises(ConfigError, match="servestack:modelStore: resolves outside the repository"):
        check_resolved(spec, project, "stacks/Pulumi.local.yaml")


def test_an_allowed_external_path_is_accepted(tmp_path: Path) -> None:
    doc = _base("local")
    doc["config"]["servestack:modelStore"] = "/var/models/store"
    doc["config"]["servestack:externalPaths"] = ["/var/models"]
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks/Pulumi.local.yaml").write_text(yaml.safe_dump(doc))
    assert load_spec(tmp_path, "local").model_store == "/var/models/store"


def test_a_gcpkms_stack_with_ciphertext_is_accepted(tmp_path: Path) -> None:
    doc = _base("local")
    doc["secretsprovider"] = "gcpkms://projects/acme-ml/locations/global/keyRings/r/cryptoKeys/k"
    doc["encryptedkey"] = "CiQAbc0123456789abcdefghij=="
    doc["config"]["servestack:local"]["registryPassword"] = {"secure": CIPHERTEXT}
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks/Pulumi.local.yaml").write_text(yaml.safe_dump(doc))
    assert load_spec(tmp_path, "local").local is not None

"""ModelImage under Pulumi mocks: the resource inputs, the digest-pinned ref, refusals."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.config import ConfigError, StackSpec
from infra.images.context import ImageLocks
from model_images.lock import write_lock
from tests.images.conftest import ROOT, lock_of, make_spec

REGISTRY = "europe-west4-docker.pkg.dev/acme-test/serving-models"
CACHE = "europe-west4-docker.pkg.dev/acme-test/serving-models-buildcache"
DIGEST_LOCK = "sha256:" + "ef" * 32
SECRET_SIG = "4dabf18193072939515e22adb298388d"


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        if args.typ == "docker-build:index:Image":
            digest = "sha256:" + hashlib.sha256(args.inputs["tags"][0].encode()).hexdigest()
            outputs.update(digest=digest, ref=f"{args.inputs['tags'][0]}@{digest}")
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        if args.token == "gcp:organizations/getClientConfig:getClientConfig":
            return {"accessToken": "ya29.test-token", "project": "acme-test"}, []
        return {}, []


@pytest.fixture
def project(tmp_path: Path, store: Path) -> Path:
    """A project root with the real Dockerfile and base lock, and a model lock of `store`."""
    root = tmp_path / "project"
    shutil.copytree(
        ROOT / "model_images",
        root / "model_images",
        ignore=shutil.ignore_patterns("__pycache__", "published"),
    )
    write_lock(root, lock_of(store))
    return root


def _mocks(preview: bool) -> Mocks:
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="servestack", stack="test", preview=preview)
    return mocks


def _image(spec: StackSpec, root: Path, server: str = "classify", variant: str = "stable") -> Any:
    from infra.config.targets import image_target, server_image
    from infra.images.image import ModelImage, ModelImageArgs

    chosen = next(s for s in spec.servers if s.name == server)
    args = ModelImageArgs(
        target=image_target(spec),
        image=server_image(spec, chosen),
        variant=variant,  # type: ignore[arg-type]
        registry_url=REGISTRY,
        root=root,
        locks=ImageLocks.read(root),
        cache_url=CACHE,
    )
    return ModelImage(f"{server}-{variant}", args)


def _build_inputs(mocks: Mocks) -> dict[str, Any]:
    builds = [r for r in mocks.resources if r.typ == "docker-build:index:Image"]
    assert len(builds) == 1, [(r.typ, r.name) for r in mocks.resources]
    (build,) = builds
    return dict(build.inputs)


@pulumi.runtime.test
def test_image_inputs_and_digest_pinned_ref(store: Path, project: Path) -> pulumi.Output[Any]:
    mocks = _mocks(preview=True)
    image = _image(make_spec(store), project)

    def check(ref: str) -> None:
        inputs = _build_inputs(mocks)
        tag = image.tag
        assert inputs["tags"][0] == f"{REGISTRY}/classify:{tag}"
        assert inputs["tags"][1].startswith(f"{REGISTRY}/classify:tiny-v1-2_inception-v3-")
        assert inputs["platforms"] == ["linux/amd64"]
        assert inputs["push"] is True
        assert inputs["buildOnPreview"] is False
        assert inputs["buildArgs"] == {
            "BASE_REPOSITORY": "tensorflow/serving",
            "BASE_TAG": "2.19.1",
        }
        context = Path(inputs["context"]["location"])
        assert (context / "config/models.config").is_file()
        assert not (context / "models").exists()  # a preview copies no model files
        assert inputs["dockerfile"]["location"] == str(context / "Dockerfile")
        # The cache lives in its own repository, whose tags every build may overwrite.
        assert inputs["cacheFrom"][0]["registry"]["ref"] == f"{CACHE}/classify:stable"
        assert inputs["cacheTo"][0]["registry"]["ref"] == f"{CACHE}/classify:stable"
        assert inputs["cacheTo"][0]["registry"]["mode"] == "max"
        # A failing cache push fails the build: nothing hides it any more.
        assert inputs["cacheTo"][0]["registry"]["ignoreError"] is False
        secret = inputs["registries"]  # the password makes the whole property secret
        assert secret[SECRET_SIG] == pulumi.runtime.rpc._special_secret_sig
        (registry,) = secret["value"]
        assert registry["address"] == "europe-west4-docker.pkg.dev"
        assert registry["username"] == "oauth2accesstoken"
        assert inputs["labels"]["io.servestack.models"] == "tiny:1/2,inception:3"
        digest = "sha256:" + hashlib.sha256(inputs["tags"][0].encode()).hexdigest()
        assert ref == f"{REGISTRY}/classify:{tag}@{digest}"
        assert not image.gpu

    return image.ref.apply(check)


@pulumi.runtime.test
def test_registry_token_is_secret(store: Path, project: Path) -> pulumi.Output[Any]:
    _mocks(preview=True)
    spec = make_spec(store)
    from infra.images.image import _registries

    (registry,) = _registries(spec, pulumi.Output.from_input(REGISTRY)) or []
    password = pulumi.Output.from_input(registry.password)

    def check(args: list[Any]) -> None:
        value, secret = args
        assert value == "ya29.test-token"
        assert secret

    return pulumi.Output.all(password, pulumi.Output.from_input(password.is_secret())).apply(check)


def test_the_same_inputs_give_the_same_tag_twice(store: Path, project: Path) -> None:
    _mocks(preview=True)
    first = _image(make_spec(store), project).tag
    _mocks(preview=True)
    assert _image(make_spec(store), project).tag == first


def test_a_real_build_refuses_models_that_were_not_fetched(tmp_path: Path, project: Path) -> None:
    spec = make_spec(tmp_path / "empty", **{"servestack:images": {"allowUnpinnedBase": True}})
    _mocks(preview=True)
    assert _image(spec, project).tag.startswith("ctx-")  # previews need no model files
    _mocks(preview=False)
    with pytest.raises(ConfigError) as error:
        _image(spec, project)
    assert error.value.key == "servestack:servers[0].models[0].versions"
    assert "tiny version 1 is not fetched to" in error.value.message
    assert "run `servestack models fetch --stack test`" in error.value.message


def test_a_real_build_refuses_an_unpinned_base_unless_allowed(store: Path, project: Path) -> None:
    _mocks(preview=False)
    with pytest.raises(ConfigError) as error:
        _image(make_spec(store), project)
    assert error.value.key == "servestack:images.tfServingVersion"
    assert "tensorflow/serving:2.19.1 has no digest in model_images/base-images.lock" in str(
        error.value
    )
    _mocks(preview=False)
    allowed = make_spec(store, **{"servestack:images": {"allowUnpinnedBase": True}})
    assert _image(allowed, project).tag


@pulumi.runtime.test
def test_a_pinned_gpu_base_builds_for_real(store: Path, project: Path) -> pulumi.Output[Any]:
    lock = project / "model_images" / "base-images.lock"
    lock.write_text(f"tensorflow/serving:2.19.1-gpu {DIGEST_LOCK}\n")
    mocks = _mocks(preview=False)
    image = _image(make_spec(store), project, server="gpu-server")

    def check(_: str) -> None:
        assert image.gpu
        assert _build_inputs(mocks)["buildArgs"]["BASE_TAG"] == f"2.19.1-gpu@{DIGEST_LOCK}"

    return image.ref.apply(check)


@pulumi.runtime.test
def test_local_stack_pushes_to_its_registry_without_credentials(
    spec_for: Callable[..., StackSpec], store: Path, project: Path
) -> pulumi.Output[Any]:
    mocks = _mocks(preview=True)
    spec = make_spec(
        store,
        **{
            "servestack:cluster": None,
            "servestack:nodePools": [],
            "gcp:project": None,
            "gcp:region": None,
            "servestack:gpuBudget": 0,
            "servestack:local": {"kubeconfigContext": "kind-x", "registry": "localhost:5001"},
            "servestack:images": {"registryCache": False},
            "servestack:servers": [
                {
                    "name": "tiny",
                    "models": [
                        {
                            "name": "tiny",
                            "source": {"uri": "gs://test-models/tiny"},
                            "versions": [1],
                        }
                    ],
                }
            ],
        },
    )
    from infra.config.targets import ImageTarget, ServerImage
    from infra.images.image import ModelImage, ModelImageArgs

    # Built directly, without a stack: a local image needs no more than this.
    target = ImageTarget(stack="test", images=spec.images, model_store=str(store), local=spec.local)
    image = ModelImage(
        "tiny",
        ModelImageArgs(
            target=target,
            image=ServerImage(server=spec.servers[0], index=0, gpu=False),
            variant="stable",
            registry_url="localhost:5001",
            root=project,
            locks=ImageLocks.read(project),
        ),
    )

    def check(ref: str) -> None:
        inputs = _build_inputs(mocks)
        assert ref.startswith(f"localhost:5001/tiny:{image.tag}@sha256:")
        assert "registries" not in inputs
        assert "cacheFrom" not in inputs and "cacheTo" not in inputs

    return image.ref.apply(check)

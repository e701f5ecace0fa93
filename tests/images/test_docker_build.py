"""Build the real Dockerfile on a local stand-in base and inspect the image.

Docker Hub is out of reach, so the base is `FROM scratch` plus Debian's static busybox, placed
where tensorflow_model_server lives upstream. Skipped only when no Docker daemon answers.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.config.targets import image_target, serving_target
from infra.images import context as ctx
from infra.serving import layout
from infra.serving.flags import server_command, server_flags
from tests.images.conftest import ROOT, make_spec

pytestmark = pytest.mark.docker

STANDIN_REPOSITORY = "servestack-test/tf-serving-standin"
BUSYBOX = Path("/bin/busybox")


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=300
    )


def _daemon_reachable() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return _docker("info", check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def standin_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not _daemon_reachable():
        pytest.skip("no Docker daemon reachable (scripts/start-dockerd.sh starts one)")
    busybox = next((p for p in (BUSYBOX, Path("/usr/bin/busybox")) if p.is_file()), None)
    if busybox is None:
        pytest.skip("no static busybox for the stand-in base (apt-get install busybox-static)")
    work = tmp_path_factory.mktemp("standin")
    shutil.copyfile(busybox, work / "busybox")
    (work / "busybox").chmod(0o755)
    (work / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        f"COPY busybox {layout.SERVER_BINARY}\n"
        'ENTRYPOINT ["/bin/busybox"]\n'
    )
    tag = "2.19.1"
    _docker("build", "-q", "-t", f"{STANDIN_REPOSITORY}:{tag}", str(work))
    yield tag
    _docker("rmi", "-f", f"{STANDIN_REPOSITORY}:{tag}", check=False)


@pytest.fixture(scope="module")
def built(
    standin_base: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, ctx.BuildContext]]:
    from tests.images.conftest import fake_store, lock_of

    tmp = tmp_path_factory.mktemp("build")
    store = fake_store(tmp / "models")
    spec = make_spec(store)
    plan = ctx.plan_for(spec, spec.servers[0], "stable", ROOT, {}, lock_of(store))
    ctx.verify_models(image_target(spec), plan)
    directory = tmp / "context"
    ctx.write_context(plan, directory, with_models=True)
    image = f"servestack-test/classify:{plan.tag}"
    args = {**plan.build_args, "BASE_REPOSITORY": STANDIN_REPOSITORY, "BASE_TAG": standin_base}
    build_args = [item for key, value in args.items() for item in ("--build-arg", f"{key}={value}")]
    result = subprocess.run(
        ["docker", "build", "-q", "-t", image, *build_args, str(directory)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    yield image, plan
    _docker("rmi", "-f", image, check=False)


def _config(image: str) -> dict[str, object]:
    inspected = json.loads(_docker("image", "inspect", image).stdout)[0]
    config: dict[str, object] = inspected["Config"]
    return config


def _files_in(image: str, *paths: str) -> set[str]:
    """Regular files under `paths`, listed as the image's non-root user sees them."""
    listing = _docker(
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/bin/busybox",
        image,
        "find",
        *paths,
        "-type",
        "f",
    )
    return set(listing.stdout.split())


def test_image_runs_the_server_directly_as_non_root_with_both_ports(
    built: tuple[str, ctx.BuildContext],
) -> None:
    image, _ = built
    config = _config(image)
    assert config["User"] == f"{layout.RUN_AS_USER}:{layout.RUN_AS_GROUP}"
    assert config["Entrypoint"] == server_command()
    assert set(config["ExposedPorts"]) == {f"{layout.GRPC_PORT}/tcp", f"{layout.REST_PORT}/tcp"}  # type: ignore[arg-type]
    cmd = config["Cmd"]
    assert isinstance(cmd, list)
    assert f"--model_config_file={layout.MODEL_CONFIG_FILE}" in cmd


def test_every_file_the_flags_name_and_every_model_version_is_readable(
    built: tuple[str, ctx.BuildContext],
) -> None:
    image, plan = built
    spec = make_spec(Path("/unused"))
    flags = server_flags(serving_target(spec), spec.servers[0])
    named = sorted(
        value for flag in flags if (value := flag.partition("=")[2]).startswith(layout.CONFIG_DIR)
    )
    assert named, flags
    files = _files_in(image, layout.CONFIG_DIR, layout.MODELS_ROOT)
    assert set(named) <= files
    for baked in plan.models:
        for path in baked.local.rglob("*"):
            if path.is_file():
                relative = path.relative_to(baked.local).as_posix()
                assert f"/{baked.context_path}/{relative}" in files
    # Every base_path in the model config holds each version it asks for.
    config_text = _docker(
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/bin/busybox",
        image,
        "cat",
        layout.MODEL_CONFIG_FILE,
    ).stdout
    assert config_text == (ctx_file(plan, "config/models.config"))
    for base_path in re.findall(r'base_path: "([^"]+)"', config_text):
        assert any(f.startswith(base_path + "/") for f in files), base_path
    for served in plan.served:
        for version in served.versions:
            assert f"{layout.model_base_path(served.name)}/{version}/saved_model.pb" in files


def ctx_file(plan: ctx.BuildContext, path: str) -> str:
    return next(e.read() for e in plan.entries if e.path == path).decode()


def test_each_model_version_is_a_layer_of_its_own(built: tuple[str, ctx.BuildContext]) -> None:
    image, plan = built
    history = _docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    lines = history.splitlines()
    for baked in plan.models:
        assert sum(f" in /{baked.context_path}/" in line for line in lines) == 1, lines

"""Fuzzing the stack-file loader: any input ends in a spec or one ConfigError, never a traceback.

Fixed seed and bounded examples, so the run is the same every time. A watchdog alarm
turns a hang (an input the loader never finishes) into a failure instead of a stuck run.
"""

from __future__ import annotations

import copy
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from infra.config import ConfigError
from infra.preview.stackfile import load_config_spec, read_stack_config

ROOT = Path(__file__).resolve().parents[2]
HANG_SECONDS = 30
BASES = {
    s: yaml.safe_load((ROOT / f"stacks/Pulumi.{s}.yaml").read_text()) for s in ("prod", "local")
}
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@contextmanager
def watchdog() -> Iterator[None]:
    def hung(signum: int, frame: Any) -> None:
        raise AssertionError(f"the loader did not finish within {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _load(tmp_path: Path, stack: str, data: bytes) -> None:
    path = tmp_path / f"fuzz-{stack}.yaml"
    path.write_bytes(data)
    with watchdog():
        try:
            load_config_spec(read_stack_config(ROOT, stack, path))
        except ConfigError as error:
            lines = str(error).split("\n")
            assert 1 <= len(lines) <= 4
            assert all(line.isprintable() for line in lines), lines


YAML_ALPHABET = st.sampled_from(
    [*"abcz019 :-[]{}&*!|>'\"#,?%@`~\\.", "\n", "\t", "\x00", "\x1b", "\u202e", "\udcff"]
)
yaml_texts = st.text(YAML_ALPHABET, max_size=300)


@seed(18)
@FUZZ
@given(text=yaml_texts, prefix=st.sampled_from(["", "config:\n  ", "config:\n  servestack:"]))
def test_any_text_is_a_spec_or_one_config_error(tmp_path: Path, text: str, prefix: str) -> None:
    _load(tmp_path, "prod", (prefix + text).encode("utf-8", "surrogateescape"))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["europe-west4", "1.34", "v1:AAAA:BBBB", "../..", "/etc", "a-canary"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=12), inner, max_size=4),
        st.fixed_dictionaries({"secure": inner}),
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


@seed(18)
@FUZZ
@given(stack=st.sampled_from(sorted(BASES)), data=st.data())
def test_any_value_anywhere_is_a_spec_or_one_config_error(
    tmp_path: Path, stack: str, data: st.DataObject
) -> None:
    document = copy.deepcopy(BASES[stack])
    paths = [p for p in _paths(document["config"]) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent: Any = document["config"]
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = data.draw(values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed this path
    text = yaml.safe_dump(document, allow_unicode=True)
    _load(tmp_path, stack, text.encode("utf-8", "surrogateescape"))

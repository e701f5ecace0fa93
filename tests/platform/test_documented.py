"""Every component documents its Args fields and declares and documents its outputs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every package that declares components.
SOURCES = sorted(
    path
    for package in ("platform", "serving", "images")
    for path in (ROOT / "infra" / package).glob("*.py")
)


def _documented_fields(cls: ast.ClassDef) -> tuple[list[str], list[str]]:
    """(declared names, declared names followed by a docstring) of a class body."""
    declared: list[str] = []
    documented: list[str] = []
    body = cls.body
    for index, node in enumerate(body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared.append(node.target.id)
            following = body[index + 1] if index + 1 < len(body) else None
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                documented.append(node.target.id)
    return declared, documented


def _classes() -> list[tuple[str, ast.ClassDef]]:
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            (f"{path.parent.name}/{path.name}", node)
            for node in tree.body
            if isinstance(node, ast.ClassDef)
        ]
    return found


def _is_component(cls: ast.ClassDef) -> bool:
    return any(ast.unparse(base) == "pulumi.ComponentResource" for base in cls.bases)


def _is_args(cls: ast.ClassDef) -> bool:
    return cls.name.endswith("Args") and any(
        "dataclass" in ast.unparse(d) for d in cls.decorator_list
    )


COMPONENTS = [(where, cls) for where, cls in _classes() if _is_component(cls)]
ARGS = [(where, cls) for where, cls in _classes() if _is_args(cls)]


def test_the_walk_finds_the_components() -> None:
    names = {cls.name for _, cls in COMPONENTS}
    assert {
        "Platform",
        "Cluster",
        "NodePool",
        "ModelService",
        "ServingNamespace",
        "ModelImage",
    } <= (names)
    assert {"PlatformArgs", "NodePoolArgs", "ModelServiceArgs", "ModelImageArgs"} <= {
        cls.name for _, cls in ARGS
    }


@pytest.mark.parametrize(("where", "cls"), ARGS, ids=lambda v: getattr(v, "name", v))
def test_every_args_field_has_a_docstring(where: str, cls: ast.ClassDef) -> None:
    declared, documented = _documented_fields(cls)
    assert declared, f"{where}: {cls.name} declares no field"
    assert declared == documented, f"{where}: {cls.name} fields without a docstring"


@pytest.mark.parametrize(("where", "cls"), COMPONENTS, ids=lambda v: getattr(v, "name", v))
def test_every_output_is_declared_and_documented(where: str, cls: ast.ClassDef) -> None:
    declared, documented = _documented_fields(cls)
    assert declared == documented, f"{where}: {cls.name} outputs without a docstring"
    assigned = {
        node.attr
        for node in ast.walk(cls)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    }
    undeclared = sorted(assigned - set(declared))
    assert not undeclared, f"{where}: {cls.name} sets undeclared outputs {undeclared}"

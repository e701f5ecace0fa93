"""The stack-file edits of the e2e workflow, made as a person would make them, then validated.

    edit_local_stack.py allow-namespace NAMESPACE   let NAMESPACE's pods through the default deny
    edit_local_stack.py versions SERVER VERSION...  serve these versions of SERVER's first model
    edit_local_stack.py canary SERVER VERSION WEIGHT
    edit_local_stack.py no-canary SERVER

Comments and key order survive (ruamel.yaml round trip). The edited file is loaded with the
program's own loader afterwards, so an edit that makes a bad stack file fails here, in one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

STACK = "local"


def _servers(config: dict[str, Any]) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = config["servestack:servers"]
    return servers


def _server(config: dict[str, Any], name: str) -> dict[str, Any]:
    for server in _servers(config):
        if server["name"] == name:
            return server
    sys.exit(f"edit_local_stack: no server {name!r} in the {STACK} stack")


def edit(config: dict[str, Any], args: argparse.Namespace) -> None:
    if args.command == "allow-namespace":
        serving = config.setdefault("servestack:serving", {})
        allowed = serving.setdefault("allowFrom", {}).setdefault("namespaces", [])
        if args.namespace not in allowed:
            allowed.append(args.namespace)
    elif args.command == "versions":
        _server(config, args.server)["models"][0]["versions"] = list(args.version)
    elif args.command == "canary":
        _server(config, args.server)["canary"] = {"version": args.version, "weight": args.weight}
    elif args.command == "no-canary":
        _server(config, args.server).pop("canary", None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("allow-namespace").add_argument("namespace")
    versions = commands.add_parser("versions")
    versions.add_argument("server")
    versions.add_argument("version", type=int, nargs="+")
    canary = commands.add_parser("canary")
    canary.add_argument("server")
    canary.add_argument("version", type=int)
    canary.add_argument("weight", type=int)
    commands.add_parser("no-canary").add_argument("server")
    args = parser.parse_args(argv)

    path = args.root / "stacks" / f"Pulumi.{STACK}.yaml"
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    document = yaml.load(path.read_text(encoding="utf-8"))
    edit(document["config"], args)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)

    sys.path.insert(0, str(args.root))
    from infra.config import ConfigError
    from infra.preview.stackfile import load_spec

    try:
        load_spec(args.root, STACK)
    except ConfigError as error:
        print(f"edit_local_stack: {error}", file=sys.stderr)
        return 2
    print(f"edit_local_stack: {path.relative_to(args.root)}: {args.command} done")
    return 0


if __name__ == "__main__":
    sys.exit(main())

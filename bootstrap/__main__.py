"""The Pulumi entry point of the bootstrap: read the typed config, declare day 0."""

import sys
from pathlib import Path

import pulumi

from bootstrap.loader import load_runtime
from bootstrap.program import main
from infra.config import ConfigError

try:
    spec, targets = load_runtime(Path(__file__).resolve().parents[1])
except ConfigError as error:
    pulumi.log.error(str(error))
    sys.exit(2)
for key, value in main(spec, targets).items():
    pulumi.export(key, value)

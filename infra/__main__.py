"""The Pulumi program: load the stack file into a typed spec, then declare the stack."""

import sys
from pathlib import Path

import pulumi

from infra.config import ConfigError
from infra.stack import main

try:
    main(Path(__file__).resolve().parent.parent)
except ConfigError as error:
    pulumi.log.error(str(error))
    sys.exit(2)

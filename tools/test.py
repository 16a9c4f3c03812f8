"""Test a checkpoint: ``python tools/test.py [CONFIG] CHECKPOINT [args]``, the same as
``pyskl test [CONFIG] CHECKPOINT [args]`` (arguments and behaviour: :mod:`pyskl.cli.test`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.test import main

if __name__ == '__main__':
    sys.exit(run_cli(main, passive_waits=True))

"""Inspect an annotation pickle: ``python tools/misc/inspect_data.py ANN [args]``, the same as
``pyskl inspect ANN [args]`` (arguments, exit status: :mod:`pyskl.cli.inspect_data`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.inspect_data import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

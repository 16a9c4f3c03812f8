"""Throughput of a config: ``python tools/analysis/benchmark.py CONFIG [args]``, the same as
``pyskl benchmark CONFIG [args]`` (arguments and behaviour: :mod:`pyskl.cli.benchmark`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.benchmark import main

if __name__ == '__main__':
    sys.exit(run_cli(main, passive_waits=True))

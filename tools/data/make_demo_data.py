"""The synthetic demo dataset: ``python tools/data/make_demo_data.py [--kind 3d|2d] [--out PKL] [args]``, the same as
``pyskl make-demo-data ...`` (arguments and behaviour: :mod:`pyskl.cli.make_demo_data`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.make_demo_data import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

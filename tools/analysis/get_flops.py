"""Parameters and GFLOPs of a config: ``python tools/analysis/get_flops.py CONFIG [args]``, the same as
``pyskl flops CONFIG [args]`` (arguments and behaviour: :mod:`pyskl.cli.flops`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.flops import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

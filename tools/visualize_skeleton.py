"""Draw one sample as a GIF or MP4: ``python tools/visualize_skeleton.py ANN --frame-dir NAME --out vis.gif [args]``,
the same as ``pyskl visualize ...`` (arguments and behaviour: :mod:`pyskl.cli.visualize`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.visualize import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

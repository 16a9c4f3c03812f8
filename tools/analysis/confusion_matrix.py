"""Confusion matrix and per-class accuracy: ``python tools/analysis/confusion_matrix.py RESULT [args]``, the same
as ``pyskl confusion RESULT [args]`` (arguments and behaviour: :mod:`pyskl.cli.confusion`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.confusion import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

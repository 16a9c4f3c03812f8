"""Train a recognizer: ``python tools/train.py CONFIG [args]``, the same as ``pyskl train CONFIG [args]``
(arguments and behaviour: :mod:`pyskl.cli.train`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.train import main

if __name__ == '__main__':
    sys.exit(run_cli(main, passive_waits=True))

"""Backbone features of a split: ``python tools/extract_features.py CONFIG_OR_CKPT [CKPT] --out FILE [args]``, the
same as ``pyskl extract-features`` (arguments and formats: :mod:`pyskl.cli.extract_features`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.extract_features import main

if __name__ == '__main__':
    sys.exit(run_cli(main, passive_waits=True))

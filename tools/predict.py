"""Classify skeletons: ``python tools/predict.py CKPT INPUT [args]``, the same as ``pyskl predict`` (a .npy array,
an annotation pickle, a JSON list of frames or a video; ``--window`` for sliding-window segments; arguments and
formats: :mod:`pyskl.cli.predict`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.predict import main

if __name__ == '__main__':
    sys.exit(run_cli(main, passive_waits=True))

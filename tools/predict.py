"""Classify skeletons from a .npy array, an annotation pickle, a JSON list of frames or a video; with
--window, sliding-window action segments. Same as ``pyskl predict`` (``pyskl predict --help``)."""
import sys

from pyskl.cli.base import run_cli
from pyskl.cli.predict import main

if __name__ == '__main__':
    sys.exit(run_cli(main, passive_waits=True))

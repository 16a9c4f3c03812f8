"""Export a checkpoint to ONNX: the same as ``pyskl export`` (see ``pyskl export --help`` and docs/export.md)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.export import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

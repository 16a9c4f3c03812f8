"""Print the resolved config: ``python tools/misc/print_config.py CONFIG [args]``, the same as
``pyskl print-config CONFIG [args]`` (arguments and behaviour: :mod:`pyskl.cli.print_config`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.print_config import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

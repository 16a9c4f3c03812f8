"""Plot training curves: ``python tools/analysis/analyze_logs.py RUN [RUN ...] [args]``, the same as
``pyskl analyze-logs RUN [RUN ...] [args]`` (arguments and behaviour: :mod:`pyskl.cli.analyze_logs`, or ``--help``)."""

import sys

from pyskl.cli.analyze_logs import main
from pyskl.cli.base import run_cli

if __name__ == '__main__':
    sys.exit(run_cli(main))

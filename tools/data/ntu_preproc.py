"""NTU RGB+D skeletons -> annotation pickles: ``python tools/data/ntu_preproc.py --data-path DIR --out-dir DIR
[args]``, the same as ``pyskl ntu-preproc ...`` (arguments and behaviour: :mod:`pyskl.cli.ntu_preproc`, or
``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.ntu_preproc import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

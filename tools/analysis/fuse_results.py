"""Fuse the test results of several streams (joint, bone, joint motion, bone motion, ...): ``pyskl fuse``.

    python tools/analysis/fuse_results.py --preds j.pkl b.pkl jm.pkl bm.pkl --weights 2 2 1 1 \
        [--ann-file ANN --split xsub_val] [--out fused.pkl] [--label-map MAP]
        [--search-preds J2.pkl B2.pkl ... [--search-ann-file ANN2] --search-split SPLIT2 [--grid 0 0.5 1 2]]

See :mod:`pyskl.cli.fuse`.
"""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.fuse import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

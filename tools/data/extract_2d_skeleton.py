"""2D COCO-17 skeletons from videos: ``python tools/data/extract_2d_skeleton.py --video-list videos.txt --out PKL
[args]``, the same as ``pyskl extract-2d ...`` (arguments and behaviour: :mod:`pyskl.cli.extract_2d`, or
``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.extract_2d import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

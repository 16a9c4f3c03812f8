"""Live skeleton-based action recognition from a webcam, a video file or a stream URL:
``python demo/webcam_demo.py CKPT [--source 0|video.mp4|rtsp://...] [--show] [--out out.mp4] [args]``, the same as
``pyskl live`` (MediaPipe poses, the ``pose`` extra; a 2D COCO-17 model, e.g. a ``*_hrnet`` config; arguments:
:mod:`pyskl.cli.live`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.live import main

if __name__ == '__main__':
    sys.exit(run_cli(main, passive_waits=True))

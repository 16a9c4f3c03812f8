"""``pyskl extract-2d`` (``tools/data/extract_2d_skeleton.py``): 2D skeletons (17-joint COCO layout) from videos
-> a PYSKL annotation pickle.

    pyskl extract-2d --video-list videos.txt --out data/custom/custom_2d.pkl \\
        [--split-file splits.txt] [--model-complexity 1]

``videos.txt``: lines ``<video path> <label>`` (relative paths: relative to the list). ``splits.txt``:
lines ``<video name> <split name>`` (e.g. ``clip01 train``); without it all videos are in split
``all``. The estimator is MediaPipe Pose (single person, CPU, offline): install the ``pose`` extra
(``pip install -e '.[pose]'`` or ``bash tools/setup_env.sh pose``). Keypoints are in pixels with
``img_shape`` (like the HRNet pickles), ready for the ``coco`` configs (``PreNormalize2D``).
"""

import os
import os.path as osp
from typing import List, Optional

from .base import command_parser


def build_parser(parser=None):
    p = (
        parser
        if parser is not None
        else command_parser('extract-2d', 'Extract 2D COCO-17 skeletons from videos with MediaPipe Pose.')
    )
    p.add_argument('--video-list', required=True, help='text file: "<video path> <label>" per line')
    p.add_argument('--out', required=True, help='output annotation pickle')
    p.add_argument('--split-file', help='text file: "<video name> <split>" per line (default: one split "all")')
    p.add_argument('--backend', default='mediapipe', help='pose estimator (default: mediapipe)')
    p.add_argument('--model-complexity', type=int, default=1, choices=(0, 1), help='MediaPipe model: 0 lite, 1 full')
    p.add_argument('--min-detection-confidence', type=float, default=0.5)
    p.add_argument('--no-progress', action='store_true')
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pyskl.datasets.pose_extraction import build_pose_estimator, make_annotation_file

    kwargs = {}
    if args.backend == 'mediapipe':
        kwargs = dict(model_complexity=args.model_complexity, min_detection_confidence=args.min_detection_confidence)
    estimator = build_pose_estimator(args.backend, **kwargs)  # without the pose extra: MissingExtraError, one line
    if osp.dirname(args.out):
        os.makedirs(osp.dirname(args.out), exist_ok=True)
    with estimator:
        summary = make_annotation_file(
            args.video_list, args.out, estimator, split_file=args.split_file, progress=not args.no_progress
        )
    for name, frac in summary['detected'].items():
        print(f'{name}: person found in {100 * frac:.0f}% of the frames')
    print(f'wrote {summary["num_videos"]} videos to {summary["out"]}')
    return 0

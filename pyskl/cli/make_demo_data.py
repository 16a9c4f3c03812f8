"""``pyskl make-demo-data`` (``tools/data/make_demo_data.py``): make the synthetic NTU-format demo dataset
(see :mod:`pyskl.datasets.synthetic`).

    pyskl make-demo-data [--kind 3d] --out data/demo/demo_3danno.pkl [--seed 0]
        [--num-subjects 20] [--samples-per-class 6]
    pyskl make-demo-data --kind 2d --out data/demo/demo_hrnet.pkl

``--kind 3d`` (default) writes PYSKL's NTU 3D format (25 Kinect joints, metres); ``--kind 2d`` the
same samples as PYSKL's NTU HRNet format (17 COCO joints in pixels of a 1920x1080 image + scores).

Class names (index = label) are in ``tools/data/label_map/demo.txt`` and printed by the command.
"""

import os
import sys
from typing import List, Optional

from .base import command_parser

DEFAULT_OUT = {'3d': 'data/demo/demo_3danno.pkl', '2d': 'data/demo/demo_hrnet.pkl'}


def build_parser(parser=None):
    from pyskl.datasets.synthetic import KINDS

    if parser is None:
        parser = command_parser('make-demo-data', 'Generate the synthetic NTU RGB+D-format demo dataset.')
    parser.add_argument(
        '--kind',
        choices=KINDS,
        default='3d',
        help='3d: NTU 3D format (25 joints, metres); 2d: NTU HRNet format (COCO-17, pixels)',
    )
    parser.add_argument(
        '--out',
        help='output pickle (parent folders are created); default: '
        + ', '.join(f'{v} for --kind {k}' for k, v in DEFAULT_OUT.items()),
    )
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same file)')
    parser.add_argument(
        '--num-subjects', type=int, default=20, help='number of subjects; about 30%% of them form xsub_val'
    )
    parser.add_argument(
        '--samples-per-class',
        type=int,
        default=6,
        help='samples of each class per subject (2 replications x 3 cameras = 6)',
    )
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out file (refused otherwise)')
    return parser


#: Most samples per class the generator makes (10 classes: 100,000 samples, about 1 GB).
MAX_SAMPLES_PER_CLASS = 10_000


def format_summary(summary: dict) -> str:
    """The summary of :func:`pyskl.datasets.synthetic.make_demo_dataset`: a line, then samples per class and split."""
    names = summary['class_names']
    width = max(len(n) for n in names)
    splits = list(summary['splits'])
    lines = [
        f'wrote {summary["num_samples"]} samples of {summary["num_classes"]} classes to {summary["out_file"]}',
        f'{"class":<{width + 4}}' + ''.join(f'{s:>12}' for s in splits),
    ]
    lines += [
        f'{label:>2}  {name:<{width}}' + ''.join(f'{summary["per_class"][s][label]:>12}' for s in splits)
        for label, name in enumerate(names)
    ]
    lines.append(f'{"total":<{width + 4}}' + ''.join(f'{summary["splits"][s]:>12}' for s in splits))
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pyskl.datasets.synthetic import make_demo_dataset

    out = args.out or DEFAULT_OUT[args.kind]
    if os.path.isfile(out) and not args.overwrite:  # it may be a real dataset or any file: never replaced silently
        raise ValueError(f'--out {out} exists; pass --overwrite to replace it with the synthetic demo data')
    if args.num_subjects * args.samples_per_class > MAX_SAMPLES_PER_CLASS:
        raise ValueError(
            f'--num-subjects x --samples-per-class = {args.num_subjects * args.samples_per_class} samples per class; '
            f'the demo generator makes at most {MAX_SAMPLES_PER_CLASS} (all held in memory)'
        )
    summary = make_demo_dataset(
        out,
        num_subjects=args.num_subjects,
        samples_per_class_per_subject=args.samples_per_class,
        seed=args.seed,
        kind=args.kind,
    )
    print(format_summary(summary))
    empty = [name for name, count in summary['splits'].items() if not count]
    if empty:  # PoseDataset refuses an empty split: say so now rather than at training time
        print(
            f'warning: split(s) {", ".join(empty)} got no sample; raise --num-subjects / --samples-per-class',
            file=sys.stderr,
        )
    return 0

"""``pyskl inspect`` (``tools/misc/inspect_data.py``): inspect a skeleton annotation pickle before training on it.

    pyskl inspect ANN [--split S] [--plot out.png] [--json out.json]
        [--num-classes N] [--joints V] [--value-checks {warn,error,ignore}] [--value-bound X]

Prints samples per split, the class histogram, frames T and persons M (min / median / max), joint count V
and channels C with a layout guess, keypoint-score presence, and every problem PoseDataset's load-time
validation finds (errors and warnings, counts and first examples). ``--plot`` also writes a PNG summary.

Exit status: 0 when there is no error (warnings allowed), 1 when there are errors or the file cannot be
read, 2 for bad arguments; so ``pyskl inspect ANN --split xsub_train && pyskl train ...`` gates a pipeline.
"""

import json
from collections import Counter
from typing import List, Optional

from pyskl.core.fileio import check_output_path

from .base import command_parser, positive_float, positive_int


def build_parser(parser=None):
    if parser is None:
        parser = command_parser('inspect', 'Summarise and validate a PYSKL annotation pickle')
    parser.add_argument('ann_file', help='annotation pickle, e.g. data/nturgbd/ntu60_3danno.pkl')
    parser.add_argument(
        '--split',
        help='inspect this split only, as PoseDataset(split=...) loads it '
        '(default: every annotation and every split of the file)',
    )
    parser.add_argument('--plot', metavar='PNG', help='write a PNG summary here')
    parser.add_argument('--json', metavar='FILE', help='write the report as JSON here')
    parser.add_argument('--num-classes', type=positive_int, help="labels must be < this (as the config's num_classes)")
    parser.add_argument('--joints', type=positive_int, help="every sample must have this many joints V (the layout's)")
    parser.add_argument(
        '--value-checks',
        choices=('warn', 'error', 'ignore'),
        default='warn',
        help='all-zero samples and |x| > bound: warnings (default), errors, or not checked',
    )
    parser.add_argument(
        '--value-bound', type=positive_float, help='bound on |x| (default 1e4 for 3D, 1e5 for 2D pixel data)'
    )
    return parser


def format_report(report) -> str:
    """The human-readable text of a :class:`pyskl.datasets.inspection.DataReport`."""

    def dist(d):
        return 'n/a' if d.get('min') is None else f'min {d["min"]}, median {d["median"]:g}, max {d["max"]}'

    what = f'split {report.split!r}' if report.split is not None else 'all samples'
    lines = [
        f'Annotation file: {report.ann_file}',
        f'Annotations: {report.num_annotations}; inspected: {report.num_samples} ({what})',
    ]
    if report.splits:
        lines.append(f'Splits: {report.split_summary()}')
    if report.class_counts:
        counts = [report.class_counts[k] for k in sorted(report.class_counts)]
        lines.append(
            f'Classes: {len(report.class_counts)} labels in [{min(report.class_counts)}, '
            f'{max(report.class_counts)}]; samples per class min {min(counts)}, max {max(counts)}'
        )
        lines.append('  histogram: ' + ' '.join(f'{k}:{report.class_counts[k]}' for k in sorted(report.class_counts)))
    lines.append(f'Frames T: {dist(report.frames)}')
    lines.append(
        f'Persons M: {dist(report.persons)}; '
        + ', '.join(f'M={m}: {n}' for m, n in sorted(Counter(report.persons_values).items()))
    )
    joints = ', '.join(f'V={k}: {v}' for k, v in sorted(report.joints.items())) or 'n/a'
    channels = ', '.join(f'C={k}: {v}' for k, v in sorted(report.channels.items())) or 'n/a'
    lines.append(f'Joints: {joints} (layout guess: {report.layout_guess}); channels: {channels}')
    lines.append(f'keypoint_score: present in {report.with_score} of {report.num_samples} samples')
    if report.compressed:
        lines.append(
            f"Compressed (PYSKL's Kinetics-400 format, for DecompressPose): {report.compressed} samples, "
            f'{report.in_kpfiles} with their keypoints in kpfiles (raw_file; read when a sample is loaded)'
        )
    for level, counts, examples in (
        ('Errors', report.errors, report.error_examples),
        ('Warnings', report.warnings, report.warning_examples),
    ):
        if not counts:
            lines.append(f'{level}: none')
            continue
        lines.append(f'{level}: {sum(counts.values())} (' + '; '.join(f'{k} x{n}' for k, n in counts.items()) + ')')
        for kind in counts:
            lines += [f'  - {message}' for message in examples.get(kind, [])]
    lines.append('Result: ' + ('OK' if report.ok else 'ERRORS (PoseDataset would refuse this data)'))
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """Exit status 0 without errors, 1 with errors (an unreadable file: ``run_cli`` says why and returns 1)."""
    args = build_parser().parse_args(argv)
    for option in ('json', 'plot'):
        if getattr(args, option):
            check_output_path(getattr(args, option), f'--{option}', [('the annotation file', args.ann_file)])
    from pyskl.datasets.inspection import inspect_annotations, plot_report

    report = inspect_annotations(
        args.ann_file,
        split=args.split,
        num_classes=args.num_classes,
        num_node=args.joints,
        value_checks=args.value_checks,
        value_bound=args.value_bound,
    )
    print(format_report(report))
    if args.plot:
        plot_report(report, args.plot)
        print(f'Summary plot written to {args.plot}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report.to_dict(), f, indent=1)
        print(f'Report written to {args.json}')
    return 0 if report.ok else 1

"""Inspect a skeleton annotation pickle before training on it.

    python tools/misc/inspect_data.py ANN [--split S] [--plot out.png] [--json out.json]
        [--num-classes N] [--joints V] [--value-checks {warn,error,ignore}] [--value-bound X]

Prints samples per split, the class histogram, frames T and persons M (min / median / max), joint count V
and channels C with a layout guess, keypoint-score presence, and every problem PoseDataset's load-time
validation finds (errors and warnings, counts and first examples). ``--plot`` also writes a PNG summary.

Exit status: 0 when there is no error (warnings allowed), 1 when there are errors or the file cannot be
read, 2 for bad arguments; so ``inspect_data.py ANN --split xsub_train && train.py ...`` gates a pipeline.
"""
import argparse
import json
import pickle
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Summarise and validate a PYSKL annotation pickle')
    parser.add_argument('ann_file', help='annotation pickle, e.g. data/nturgbd/ntu60_3danno.pkl')
    parser.add_argument('--split', help='inspect this split only, as PoseDataset(split=...) loads it '
                                        '(default: every annotation and every split of the file)')
    parser.add_argument('--plot', metavar='PNG', help='write a PNG summary here')
    parser.add_argument('--json', metavar='FILE', help='write the report as JSON here')
    parser.add_argument('--num-classes', type=int, help='labels must be < this (as the config\'s num_classes)')
    parser.add_argument('--joints', type=int, help='every sample must have this many joints V (the layout\'s)')
    parser.add_argument('--value-checks', choices=('warn', 'error', 'ignore'), default='warn',
                        help='all-zero samples and |x| > bound: warnings (default), errors, or not checked')
    parser.add_argument('--value-bound', type=float,
                        help='bound on |x| (default 1e4 for 3D, 1e5 for 2D pixel data)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from pyskl.datasets.inspection import inspect_annotations, plot_report

    try:
        report = inspect_annotations(args.ann_file, split=args.split, num_classes=args.num_classes,
                                     num_node=args.joints, value_checks=args.value_checks,
                                     value_bound=args.value_bound)
    except (OSError, ValueError, pickle.UnpicklingError) as e:
        print(f'inspect_data: {e}', file=sys.stderr)
        return 1
    print(report.format())
    if args.plot:
        plot_report(report, args.plot)
        print(f'Summary plot written to {args.plot}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report.to_dict(), f, indent=1)
        print(f'Report written to {args.json}')
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())

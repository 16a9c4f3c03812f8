"""Make the synthetic NTU-format demo dataset (see ``pyskl/datasets/synthetic/``).

    python tools/data/make_demo_data.py [--kind 3d] --out data/demo/demo_3danno.pkl [--seed 0]
        [--num-subjects 20] [--samples-per-class 6]
    python tools/data/make_demo_data.py --kind 2d --out data/demo/demo_hrnet.pkl

``--kind 3d`` (default) writes PYSKL's NTU 3D format (25 Kinect joints, metres); ``--kind 2d`` the
same samples as PYSKL's NTU HRNet format (17 COCO joints in pixels of a 1920x1080 image + scores).

Class names (index = label) are in ``tools/data/label_map/demo.txt``.
"""
import argparse

from pyskl.datasets.synthetic import KINDS, make_demo_dataset

DEFAULT_OUT = {'3d': 'data/demo/demo_3danno.pkl', '2d': 'data/demo/demo_hrnet.pkl'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Generate the synthetic NTU RGB+D-format demo dataset.')
    parser.add_argument('--kind', choices=KINDS, default='3d',
                        help='3d: NTU 3D format (25 joints, metres); 2d: NTU HRNet format (COCO-17, pixels)')
    parser.add_argument('--out', help='output pickle (parent folders are created); default: '
                        + ', '.join(f'{v} for --kind {k}' for k, v in DEFAULT_OUT.items()))
    parser.add_argument('--seed', type=int, default=0, help='random seed (same seed, same file)')
    parser.add_argument('--num-subjects', type=int, default=20,
                        help='number of subjects; about 30%% of them form xsub_val')
    parser.add_argument('--samples-per-class', type=int, default=6,
                        help='samples of each class per subject (2 replications x 3 cameras = 6)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        summary = make_demo_dataset(args.out or DEFAULT_OUT[args.kind], num_subjects=args.num_subjects,
                                    samples_per_class_per_subject=args.samples_per_class, seed=args.seed,
                                    kind=args.kind)
    except ValueError as e:
        raise SystemExit(f'error: {e}')
    print(f"wrote {summary['num_samples']} samples of {summary['num_classes']} classes to {summary['out_file']}")
    names = summary['class_names']
    width = max(len(n) for n in names)
    splits = list(summary['splits'])
    print(f"{'class':<{width + 4}}" + ''.join(f'{s:>12}' for s in splits))
    for label, name in enumerate(names):
        print(f'{label:>2}  {name:<{width}}' + ''.join(f"{summary['per_class'][s][label]:>12}" for s in splits))
    print(f"{'total':<{width + 4}}" + ''.join(f"{summary['splits'][s]:>12}" for s in splits))


if __name__ == '__main__':
    main()

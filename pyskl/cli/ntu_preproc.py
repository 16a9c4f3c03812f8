"""``pyskl ntu-preproc`` (``tools/data/ntu_preproc.py``): NTU RGB+D raw skeletons -> PYSKL annotation pickles.

    pyskl ntu-preproc --data-path nturgb+d_skeletons/ --out-dir data/nturgbd \\
        [--num-workers 4] [--missing-list FILE | --no-missing-list]

Writes ``ntu60_3danno.pkl`` (splits xsub_train/val, xview_train/val) and, when NTU-120-only samples (actions
A061+ or setups S018+) are present, ``ntu120_3danno.pkl`` (splits xsub_train/val, xset_train/val). Samples on the
official missing-skeleton list (shipped in the package) are excluded; files without any body are reported and skipped.
See :mod:`pyskl.datasets.ntu_skeleton` for the denoising.
"""

import sys
from typing import List, Optional

from .base import command_parser


def build_parser(parser=None):
    p = (
        parser
        if parser is not None
        else command_parser('ntu-preproc', 'Convert NTU RGB+D .skeleton files to PYSKL annotation pickles.')
    )
    p.add_argument('--data-path', required=True, help='folder with the <name>.skeleton files')
    p.add_argument('--out-dir', required=True, help='output folder')
    p.add_argument('--num-workers', type=int, default=0, help='worker processes (0: in this process)')
    p.add_argument(
        '--missing-list', help='text file of sample names to exclude (default: the official NTU60/NTU120 lists)'
    )
    p.add_argument('--no-missing-list', action='store_true', help='exclude nothing')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.num_workers < 0:
        raise ValueError(f'--num-workers must be >= 0 (0: convert in this process), got {args.num_workers}')
    from pyskl.datasets.ntu_skeleton import DEFAULT_MISSING_LIST, convert_ntu_skeletons

    missing_list = None if args.no_missing_list else (args.missing_list or DEFAULT_MISSING_LIST)
    summary = convert_ntu_skeletons(
        args.data_path,
        args.out_dir,
        num_workers=args.num_workers,
        missing_list=missing_list,
        progress=not args.no_progress,
    )
    for msg in summary['skipped']:
        print(f'skipped: {msg}', file=sys.stderr)
    print(
        f'excluded {summary["excluded"]} file(s) on the missing-skeleton list; '
        f'skipped {len(summary["skipped"])} file(s) without a usable body'
    )
    for path in summary['written']:
        print(f'wrote {summary["num_samples"][path]} samples to {path}')
    return 0

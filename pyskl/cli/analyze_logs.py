"""``pyskl analyze-logs`` (``tools/analysis/analyze_logs.py``): plot training curves (loss, learning rate,
validation accuracy) of one or several runs.

    pyskl analyze-logs RUN [RUN ...] [--keys loss lr acc/top1] [--legend A B ...] [--out curves.png]

RUN is a work dir (all its <timestamp>/vis_data/scalars.json, resumed runs merged), a scalars.json,
or a PYSKL *.log.json. Prints a summary per run (iterations, final loss, best validation accuracy).
See :mod:`pyskl.apis.log_analysis`.
"""

from typing import List, Optional

from .base import command_parser


def build_parser(parser=None):
    if parser is None:
        parser = command_parser('analyze-logs', 'Plot training curves of pyskl runs')
    parser.add_argument('runs', nargs='+', help='work dirs, scalars.json or PYSKL *.log.json files')
    parser.add_argument(
        '--keys',
        nargs='+',
        default=['loss', 'lr', 'acc/top1'],
        help='scalars to plot (acc/* are validation metrics, against the epoch)',
    )
    parser.add_argument('--legend', nargs='+', help='one name per run (default: the paths)')
    parser.add_argument('--out', default='curves.png', help='output PNG')
    return parser


def format_summary(name: str, s: dict) -> str:
    """One line for :func:`pyskl.apis.log_analysis.summarize_run`'s summary of run ``name``."""
    loss = 'n/a' if s['final_loss'] is None else f'{s["final_loss"]:.4f}'
    best = 'n/a' if s['best'] is None else f'{100 * s["best"]:.2f}% (epoch {s["best_epoch"]})'
    return f'{name}: {s["iterations"]} iterations, {s["epochs"]} epochs, final loss {loss}, best acc/top1 {best}'


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.legend is not None and len(args.legend) != len(args.runs):
        parser.error(f'{len(args.runs)} runs need {len(args.runs)} --legend names, got {len(args.legend)}')
    from pyskl.apis.log_analysis import load_run, plot_curves, summarize_run

    names = args.legend or args.runs
    if len(set(names)) != len(names):
        names = [f'{i}: {n}' for i, n in enumerate(names)]
    runs = {name: load_run(path) for name, path in zip(names, args.runs)}
    for name, run in runs.items():
        print(format_summary(name, summarize_run(run)))
    plot_curves(runs, args.out, args.keys)
    print(f'Curves written to {args.out}')
    return 0

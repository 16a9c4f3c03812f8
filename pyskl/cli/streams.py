"""``pyskl streams`` (``tools/dist_run_streams.sh``): train, test and fuse the j / b / jm / bm stream configs of one
folder (and ProtoGCN's k / km), then print each stream's and each fusion's accuracies and the model-zoo row.

    pyskl streams CONFIG_DIR GPUS [--work-root DIR] [--streams j b ...]
        [--seed S] [--deterministic] [--amp] [--auto-scale-lr] [--no-validate] [--cfg-options k=v ...]

GPUS = 1 runs every stream in this process; GPUS > 1 launches torchrun once per stream (``PORT``,
``MASTER_ADDR``, ``NNODES``, ``NODE_RANK`` from the environment). The training options go to every stream,
``--cfg-options`` to its test too. The library: :func:`pyskl.apis.streams.run_streams`.
"""

import argparse
import sys
from typing import List, Optional

__all__ = ['build_parser', 'main', 'format_streams', 'markdown_row']


def _add_train_options(parser: argparse.ArgumentParser) -> None:
    from .base import cfg_options_action

    parser.add_argument('--seed', type=int, default=None, help='random seed of every stream')
    parser.add_argument('--deterministic', action='store_true', help='deterministic cuDNN')
    parser.add_argument('--amp', action='store_true', help='mixed precision training')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the learning rate by the batch size')
    val = parser.add_mutually_exclusive_group()
    val.add_argument('--validate', action='store_true', help='(PYSKL compatibility; validation is the default)')
    val.add_argument('--no-validate', action='store_true', help='do not validate during training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=cfg_options_action(),
        help='config overrides key=value for every stream (training and test)',
    )


def build_parser(parser: Optional[argparse.ArgumentParser] = None) -> argparse.ArgumentParser:
    """The arguments of ``pyskl streams`` (added to ``parser``, or to a new one)."""
    from pyskl.apis.streams import STREAMS

    if parser is None:
        parser = argparse.ArgumentParser(
            prog='pyskl streams',
            allow_abbrev=False,
            description='Train, test and fuse the j/b/jm/bm (and k/km) stream configs of a folder',
        )
    parser.add_argument('config_dir', help='folder with j.py, b.py, jm.py, bm.py')
    parser.add_argument('gpus', type=int, help='processes per stream (1: in this process, >1: torchrun)')
    parser.add_argument(
        '--work-root', help='parent of the per-stream work dirs (default: work_dirs/<config dir relative to configs>)'
    )
    parser.add_argument('--streams', nargs='+', choices=STREAMS, help='only these streams')
    _add_train_options(parser)
    return parser


def _worker_parser() -> argparse.ArgumentParser:
    """``--worker STREAM CONFIG WORK_DIR [--train] [--resume] [train options]``: one rank of a stream's torchrun."""
    parser = argparse.ArgumentParser(prog='pyskl streams --worker', allow_abbrev=False)
    parser.add_argument('--worker', required=True, metavar='STREAM')
    parser.add_argument('config')
    parser.add_argument('work_dir')
    parser.add_argument('--train', action='store_true')
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0, help=argparse.SUPPRESS)
    _add_train_options(parser)
    return parser


def _options(args):
    from pyskl.apis.streams import TrainOptions

    return TrainOptions(
        seed=args.seed,
        deterministic=args.deterministic,
        amp=args.amp,
        auto_scale_lr=args.auto_scale_lr,
        validate=not args.no_validate,
        cfg_options=args.cfg_options,
    )


def format_streams(result: dict) -> str:
    """The fixed-width table of each stream and fusion (``Stream | Weight | Top-1 | Top-5 | Mean-class``)."""
    from .fuse import format_table, format_weights

    rows = [(name, '-', s['metrics']) for name, s in result['streams'].items()]
    for name, f in result['fusions'].items():
        label = f'{name} ({"+".join(s.upper() for s in f["streams"])})'
        rows.append((label, format_weights(f['weights']), f['metrics']))
    return format_table(rows)


def markdown_row(result: dict, config_dir: str) -> str:
    """The model-zoo table: a header, a rule and one row of Top-1 (%) per stream and fusion."""
    columns = [s.upper() for s in result['streams']] + list(result['fusions'])
    values = [s['metrics'] for s in result['streams'].values()] + [f['metrics'] for f in result['fusions'].values()]
    return '\n'.join(
        [
            '| Config | ' + ' | '.join(f'{c} Top-1' for c in columns) + ' |',
            '| ' + ' | '.join(['---'] * (len(columns) + 1)) + ' |',
            f'| {config_dir.rstrip("/")} | ' + ' | '.join(f'{100 * m["top1"]:.2f}' for m in values) + ' |',
        ]
    )


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == '--worker':
        from pyskl.apis.streams import run_stream

        args = _worker_parser().parse_args(argv)
        run_stream(
            args.config,
            args.work_dir,
            _options(args),
            train=args.train,
            resume=args.resume,
            launcher='pytorch',
            stream=args.worker,
        )
        from pyskl.engine.dist import finish_dist

        finish_dist()  # as train and test do: without it a rank could abort in gloo's teardown at exit
        return 0
    from pyskl.apis.streams import run_streams

    args = build_parser().parse_args(argv)
    if args.gpus < 1:
        raise ValueError(f'GPUS must be >= 1, got {args.gpus}')
    result = run_streams(
        args.config_dir,
        args.gpus,
        _options(args),
        work_root=args.work_root,
        streams=args.streams,
        progress=lambda line: print(f'[streams] {line}', flush=True),
    )
    print(format_streams(result))
    print(markdown_row(result, args.config_dir), flush=True)
    return 0


if __name__ == '__main__':  # tools/dist_run_streams.sh, and the torchrun workers (-m pyskl.cli.streams --worker ...)
    from .base import run_cli

    sys.exit(run_cli(main, passive_waits=True))

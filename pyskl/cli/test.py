"""``pyskl test`` (``tools/test.py``): test a recognizer checkpoint.

    pyskl test [CONFIG] CHECKPOINT [--out result.pkl] [--dump dump.pkl] [--force]
        [--eval top_k_accuracy mean_class_accuracy] [--average-clips prob|score|none]
        [--label-map MAP] [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

``--out`` writes PYSKL's result.pkl (a list of float32 (K,) score arrays in dataset
order); ``--dump`` writes MMAction2's dump (a list of dicts). ``--label-map`` (one class name per
line) prints the per-class Top-1 accuracy with the class names. CHECKPOINT may be a pyskl
training checkpoint or released PYSKL / MMAction2 weights. Without CONFIG, the config stored in a pyskl
checkpoint is used; with both, they must agree on feats, layout, num_classes, in_channels and the backbone
(``--force`` tests anyway).

Distributed: ``bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]``, or
``torchrun --nproc_per_node=GPUS -m pyskl test CONFIG CHECKPOINT --launcher pytorch [args]``.
"""

import os
from typing import List, Optional

from pyskl.core.fileio import check_output_path

from .base import check_run_outputs, command_parser


def build_parser(parser=None):
    from .base import cfg_options_action

    if parser is None:
        parser = command_parser('test', 'Test a pyskl recognizer')
    parser.add_argument(
        'config', help='test config file path (optional: omit it to use the config stored in a pyskl checkpoint)'
    )
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file')
    parser.add_argument(
        '--force', action='store_true', help='test even when CONFIG disagrees with the config stored in the checkpoint'
    )
    parser.add_argument('--work-dir', help='the dir for the test logs')
    parser.add_argument('--out', help="write PYSKL's result.pkl (list of float32 (K,) arrays)")
    parser.add_argument('--dump', help="write MMAction2's dump (list of dicts with pred_score, gt_label, ...)")
    parser.add_argument(
        '--eval',
        nargs='*',
        choices=['top_k_accuracy', 'mean_class_accuracy'],
        help="metrics (default: the config's test_evaluator); '--eval' alone: none",
    )
    parser.add_argument(
        '--average-clips',
        choices=['prob', 'score', 'none'],
        help='how clip scores are combined (model.cls_head.average_clips)',
    )
    parser.add_argument('--label-map', help='class names (one per line): print per-class Top-1 accuracy')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=cfg_options_action(),
        help='override config settings, e.g. test_dataloader.batch_size=8',
    )
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def format_metrics(metrics: dict) -> str:
    """``Top-1: 12.34%`` lines for the metrics of :func:`pyskl.apis.run_test`."""
    names = {'top1': 'Top-1', 'top5': 'Top-5', 'mean1': 'Mean-class'}
    lines = []
    for key, value in metrics.items():
        short = key.split('/')[-1]
        if short in names:
            lines.append(f'{names[short]}: {100 * value:.2f}%')
        elif short.startswith('top') and short[3:].isdigit():
            lines.append(f'Top-{short[3:]}: {100 * value:.2f}%')
        else:
            lines.append(f'{key}: {value}')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.checkpoint is None:  # one positional argument: the checkpoint
        if args.config.endswith('.py'):
            raise ValueError(f'{args.config} is a config; give the checkpoint too: pyskl test [CONFIG] CHECKPOINT')
        args.config, args.checkpoint = None, args.config
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    for option in ('out', 'dump'):
        if getattr(args, option):
            inputs = [('the checkpoint', args.checkpoint), ('the config', args.config)]
            check_output_path(getattr(args, option), f'--{option}', inputs)
    from mmengine.dist import is_main_process

    from pyskl.apis import run_test, setup_test_cfg
    from pyskl.apis.inference import read_checkpoint

    dump = args.dump
    path, loaded = read_checkpoint(args.checkpoint)  # read once: its stored config and its weights
    cfg = setup_test_cfg(
        args.config,
        work_dir=args.work_dir,
        out=args.out,
        dump=dump,
        eval=args.eval,
        average_clips=args.average_clips,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        checkpoint=path,
        loaded=loaded,
        force=args.force,
    )
    check_run_outputs(cfg, args.config, {'--out': args.out, '--dump': args.dump})
    if args.label_map:  # its class count against the model's, before the test runs (it was checked after it)
        from pyskl.core.config_data import config_facts
        from pyskl.core.label_map import load_label_map

        load_label_map(args.label_map, config_facts(cfg)['num_classes'])
    if args.label_map and not dump:  # the per-class report reads the predictions from a temporary dump
        dump = os.path.join(cfg.work_dir, f'.label_map_dump_{os.getpid()}.pkl')
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=dump, fmt='mmaction'))
    try:
        metrics = run_test(cfg, path, loaded=loaded)
        if is_main_process() and metrics:
            print(format_metrics(metrics))
        if is_main_process() and args.label_map:
            print_per_class(dump, args.label_map)
        from pyskl.engine.dist import finish_dist

        finish_dist()  # every rank waits for the others, then the process group ends cleanly
    finally:
        if dump != args.dump and os.path.exists(dump):
            os.remove(dump)
    return 0


def print_per_class(dump: str, label_map: str) -> None:
    """Print the per-class Top-1 accuracy of a dump with the class names of ``label_map``."""
    from pyskl.core.label_map import load_label_map
    from pyskl.cli.fuse import format_per_class
    from pyskl.core.results import load_results

    res = load_results(dump)
    names = load_label_map(label_map, res.num_classes)
    print('Per-class Top-1:')
    print(format_per_class(res.scores, res.labels, names))

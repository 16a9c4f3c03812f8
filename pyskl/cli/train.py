"""``pyskl train`` (``tools/train.py``): train a recognizer.

    pyskl train CONFIG [--work-dir DIR] [--resume [CKPT] | --no-resume] [--amp] [--seed S]
        [--deterministic] [--auto-scale-lr] [--no-validate] [--test-last] [--test-best] [--out FILE]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

Validation runs every ``train_cfg.val_interval`` epochs (1 by default); PYSKL's
``--validate`` is accepted and does nothing.

Re-running into a work dir that already holds checkpoints resumes from the newest one (as
``--resume`` does; PYSKL resumed from ``latest.pth``); ``--no-resume`` or another ``--work-dir``
starts afresh, and checkpoints of an earlier run are never deleted or overwritten.
``--test-last`` / ``--test-best`` write ``last_pred.pkl`` / ``best_pred.pkl`` (the format of
``pyskl test --out``, ready for ``pyskl fuse``) into the work dir.

Distributed: ``bash tools/dist_train.sh CONFIG GPUS [args]``, or
``torchrun --nproc_per_node=GPUS -m pyskl train CONFIG --launcher pytorch [args]``.
"""

import os
from typing import List, Optional

from .base import check_run_outputs, command_parser


def build_parser(parser=None):
    from .base import cfg_options_action

    if parser is None:
        parser = command_parser('train', 'Train a pyskl recognizer')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--work-dir',
        help='the dir to save logs and checkpoints (default: work_dirs/<config path relative to configs/>)',
    )
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT, or from the latest checkpoint in the work dir if no '
        'CKPT is given (the default when the work dir holds checkpoints)',
    )
    resume.add_argument(
        '--no-resume', action='store_true', help='start afresh even if the work dir holds checkpoints (they are kept)'
    )
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision (AmpOptimWrapper on GPU, bfloat16 autocast on CPU)'
    )
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true', help='deterministic cuDNN')
    parser.add_argument(
        '--auto-scale-lr', action='store_true', help='scale lr by total batch size / auto_scale_lr.base_batch_size'
    )
    val = parser.add_mutually_exclusive_group()
    val.add_argument('--validate', action='store_true', help='(PYSKL compatibility; validation is the default)')
    val.add_argument('--no-validate', action='store_true', help='do not validate during training')
    parser.add_argument('--test-last', action='store_true', help='test the last checkpoint after training')
    parser.add_argument('--test-best', action='store_true', help='test the best checkpoint after training')
    parser.add_argument(
        '--out',
        help="write the final test's predictions (tools/test.py --out format) to this "
        '.pkl file (tests the last checkpoint unless --test-best is given)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=cfg_options_action(),
        help='override config settings, e.g. train_dataloader.batch_size=8',
    )
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def format_metrics(name: str, metrics: dict) -> str:
    """``Test (<name> checkpoint): key: value, ...`` (floats with 4 decimals)."""
    text = ', '.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}' for k, v in metrics.items())
    return f'Test ({name} checkpoint): {text}'


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.work_dir is not None and not args.work_dir.strip():  # '' silently meant the current directory
        raise ValueError('--work-dir is empty; give a folder (default: work_dirs/<config path>)')
    from pyskl.apis import setup_train_cfg, train_model

    cfg = setup_train_cfg(
        args.config,
        work_dir=args.work_dir,
        resume=args.resume,
        amp=args.amp,
        seed=args.seed,
        deterministic=args.deterministic,
        auto_scale_lr=args.auto_scale_lr,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        validate=not args.no_validate,
        test_last=args.test_last,
        test_best=args.test_best,
        no_resume=args.no_resume,
        out=args.out,
    )
    check_run_outputs(cfg, args.config, {'--out': args.out})
    results = train_model(cfg, test_last=args.test_last, test_best=args.test_best, out=args.out)
    from mmengine.dist import is_main_process

    from pyskl.engine.dist import finish_dist

    main_process = is_main_process()
    finish_dist()  # every rank waits for rank 0's last save, then the process group ends cleanly
    for name, metrics in results.items() if main_process else ():
        print(format_metrics(name, metrics))
    return 0

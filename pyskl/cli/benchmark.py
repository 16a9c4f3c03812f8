"""``pyskl benchmark`` (``tools/analysis/benchmark.py``): training and inference throughput of a config's model
and the data pipeline's throughput.

    pyskl benchmark CONFIG [--batch B] [--iters N] [--warmup W] [--device cpu|cuda]
        [--amp] [--compile] [--cudnn-benchmark] [--data-iters N] [--cfg-options k=v ...]
    pyskl benchmark --compare-rev [REV] [--backbones ST-GCN ST-GCN++ ...] [--reps 3]
        [--iters 3] [--warmup 3] [--threads 2] [--shape 8 2 100 25 3] [--padded-persons 0] [--data-iters 50] [--amp]
        [--cfg-options ...]

Prints samples/s of a training step (forward, backward, optimizer step), of inference on the test
pipeline's clips, and of the training data pipeline in one worker. Needs the config's annotation
file (batches are real pipeline outputs). See :mod:`pyskl.apis.benchmark`; FLOPs and parameters:
``pyskl flops``.

With ``--compare-rev`` it times this tree against git revision REV instead (default: main before the speed
changes, ``pyskl.apis.benchmark_compare.BASELINE_REV``; needs a git checkout), per backbone (the NTU60-XSub 3D
joint configs), in alternating fresh processes on random inputs (no annotation file needed), and prints the
eval-forward, train-step, peak-memory and data-pipeline ratios as a markdown table; with ``--amp`` this tree's
forward passes run under CPU bfloat16 autocast (the baseline stays float32).
"""

import sys
from typing import List, Optional

from .base import cfg_options_action, command_parser


def build_parser(parser=None):

    if parser is None:
        parser = command_parser('benchmark', 'Benchmark a pyskl config')
    parser.add_argument('config', nargs='?', help='config file path (not with --compare-rev)')
    parser.add_argument('--batch', type=int, help='samples per step (default: train_dataloader.batch_size)')
    parser.add_argument('--iters', type=int, help='timed iterations (default 10; 3 per process with --compare-rev)')
    parser.add_argument('--warmup', type=int, help='untimed iterations first (default 2; 3 with --compare-rev)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision (fp16 on CUDA, bf16 on CPU); with --compare-rev: B under bf16 autocast, A float32',
    )
    parser.add_argument('--compile', action='store_true', help='torch.compile the backbone')
    parser.add_argument('--cudnn-benchmark', action='store_true', help='torch.backends.cudnn.benchmark = True')
    parser.add_argument('--data-iters', type=int, help='samples timed through the pipeline (default iters x batch)')
    parser.add_argument(
        '--compare-rev',
        metavar='REV',
        nargs='?',
        const='baseline',
        help='time this tree against git revision REV (default: main before the speed changes)',
    )
    parser.add_argument('--backbones', nargs='+', help='with --compare-rev: backbones to compare (default all)')
    parser.add_argument('--reps', type=int, default=3, help='with --compare-rev: fresh processes per side')
    parser.add_argument('--threads', type=int, default=2, help='with --compare-rev: torch threads per process')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=5,
        default=None,
        metavar=('N', 'M', 'T', 'V', 'C'),
        help='with --compare-rev: the random input (default 8 2 100 25 3)',
    )
    parser.add_argument(
        '--padded-persons',
        type=float,
        default=0.0,
        metavar='FRACTION',
        help='with --compare-rev: this fraction of the samples has all-zero persons after the first (one-person '
        'samples as the pipeline pads them; about 0.8 on NTU RGB+D 60)',
    )
    parser.add_argument('--cfg-options', nargs='+', action=cfg_options_action(), help='override config settings')
    return parser


def format_benchmark(res: dict) -> str:
    """The results of :func:`pyskl.apis.benchmark.benchmark_config` as a table."""
    rows = [
        (
            'Training step',
            f'{res["train"]:.2f}',
            f'batch {res["batch_size"]}, input {res["input_shape"]}, {res["train_tflops"]:.3g} TFLOP/s',
        ),
        (
            'Inference',
            f'{res["inference"]:.2f}',
            f'batch {res["batch_size"]}, input {res["test_input_shape"]}, {res["inference_tflops"]:.3g} TFLOP/s',
        ),
        ('Data pipeline (1 worker)', f'{res["data"]:.2f}', 'training pipeline'),
    ]
    w0 = max(len(r[0]) for r in rows + [('Measure',)])
    w1 = max(len(r[1]) for r in rows + [('', 'Samples/s')])
    mode = [m for m, on in (('AMP', res['amp']), ('compiled', res.get('compile'))) if on]
    lines = [
        f'Device: {res["device"]}'
        + (f' ({", ".join(mode)})' if mode else '')
        + f'; {res["flops_per_clip"] / 1e9:.3f} GFLOPs (multiply-adds) per clip',
        f'{"Measure":<{w0}}  {"Samples/s":>{w1}}  Notes',
    ]
    lines += [f'{a:<{w0}}  {b:>{w1}}  {c}' for a, b, c in rows]
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    for name in ('batch', 'iters', 'reps', 'threads'):  # 0 silently fell back to a default
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f'--{name} must be >= 1, got {value}')
    for name in ('warmup', 'data_iters'):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise ValueError(f'--{name.replace("_", "-")} must be >= 0, got {value}')
    if args.shape is not None and (len(args.shape) != 5 or min(args.shape) < 1):
        raise ValueError(f'--shape must be five positive ints N M T V C, got {args.shape}')
    if not args.compare_rev:
        given = [f'--{n.replace("_", "-")}' for n in ('shape', 'backbones', 'padded_persons') if getattr(args, n)]
        if given:
            raise ValueError(f'{", ".join(given)}: only with --compare-rev (a config run reads its config)')
    elif args.shape is not None and tuple(args.shape[3:]) != (25, 3):  # the compared configs are NTU-60 3D joints
        raise ValueError(f'--shape {args.shape}: the compared NTU RGB+D 3D configs take V=25 joints and C=3')
    if args.compare_rev:
        if args.config:
            raise ValueError('--compare-rev measures the backbone configs itself; give no config')
        from pyskl.apis.benchmark_compare import BASELINE_REV, compare_revisions

        rev = BASELINE_REV if args.compare_rev == 'baseline' else args.compare_rev
        res = compare_revisions(
            rev,
            backbones=args.backbones,
            reps=args.reps,
            iters=args.iters or 3,
            **({} if args.warmup is None else dict(warmup=args.warmup)),  # default: compare_revisions'
            threads=args.threads,
            shape=args.shape or (8, 2, 100, 25, 3),
            cfg_options=args.cfg_options,
            data_iters=50 if args.data_iters is None else args.data_iters,
            amp=args.amp,
            padded=args.padded_persons,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
        print(format_comparison(res))
        return 0
    if not args.config:
        raise ValueError('give a config (or --compare-rev REV)')
    args.iters = 10 if args.iters is None else args.iters
    args.warmup = 2 if args.warmup is None else args.warmup
    from pyskl.apis.benchmark import benchmark_config

    res = benchmark_config(
        args.config,
        batch_size=args.batch,
        iters=args.iters,
        warmup=args.warmup,
        device=args.device,
        amp=args.amp,
        data_iters=args.data_iters,
        cfg_options=args.cfg_options,
        compile=args.compile,
        cudnn_benchmark=args.cudnn_benchmark,
    )
    print(format_benchmark(res))
    return 0


def _ratio(a: Optional[float], b: Optional[float], higher_is_better: bool = False) -> str:
    if a is None or b is None or a == 0 or b == 0:
        return 'n/a'
    return f'{(b / a if higher_is_better else a / b):.2f}x'


def _fmt(s: dict, unit: str, digits: int = 0) -> str:
    if s['median'] is None:
        return 'n/a'
    return f'{s["median"]:.{digits}f}{unit} (±{100 * s["noise"] / 2:.0f}%)'


def _padded(res: dict) -> str:
    padded = res.get('padded') or 0
    return f' ({padded:.0%} of the samples one person + zero padding)' if padded else ''


def format_comparison(res: dict) -> str:
    """A markdown table of :func:`compare_revisions`' result: A (baseline) / B (this tree) and the speed-up
    A / B for times (B / A for samples/s; for memory A / B, so > 1 means B uses less)."""
    lines = [
        f'Baseline A: {res["rev"]} ({res["commit"][:12]}); B: this tree'
        f'{" under --amp (bfloat16 autocast; A float32)" if res.get("amp") else ""}. threads {res["threads"]}, input '
        f'{res["shape"]}{_padded(res)}, {res["reps"]} processes per side x {res["iters"]} iterations after '
        f'{res["warmup"]} untimed (medians; '
        f'± is half the spread of the process medians)',
        '',
        '| backbone | eval A / B (ms) | eval speed-up | train A / B (ms) | train speed-up '
        '| train peak MB/sample A / B | memory A/B | data A / B (samples/s) | data speed-up |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    allocators = {
        side: sorted({a for row in res['rows'] if side in row for a in row[side].get('allocator', [])}) for side in 'AB'
    }
    if any(allocators.values()):
        lines[1:1] = ['', f'C allocator: A {"; ".join(allocators["A"])}; B {"; ".join(allocators["B"])}']
    for row in res['rows']:
        if 'missing' in row:
            lines.append(
                f'| {row["backbone"]} | config {row["config"]} missing in {", ".join(row["missing"])} | | | | | | | |'
            )
            continue
        a, b = row['A'], row['B']
        lines.append(
            f'| {row["backbone"]} | {_fmt(a["eval_ms"], "")} / {_fmt(b["eval_ms"], "")} '
            f'| {_ratio(a["eval_ms"]["median"], b["eval_ms"]["median"])} '
            f'| {_fmt(a["train_ms"], "")} / {_fmt(b["train_ms"], "")} '
            f'| {_ratio(a["train_ms"]["median"], b["train_ms"]["median"])} '
            f'| {_fmt(a["mem_mb_per_sample"], "", 1)} / {_fmt(b["mem_mb_per_sample"], "", 1)} '
            f'| {_ratio(a["mem_mb_per_sample"]["median"], b["mem_mb_per_sample"]["median"])} '
            f'| {_fmt(a["data_per_s"], "")} / {_fmt(b["data_per_s"], "")} '
            f'| {_ratio(a["data_per_s"]["median"], b["data_per_s"]["median"], higher_is_better=True)} |'
        )
    return '\n'.join(lines)

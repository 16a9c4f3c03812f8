"""``pyskl export CKPT [--config CFG] --format onnx --out model.onnx [--opset N] [--softmax] [--check]
[--shapes N,M,T ...] [--benchmark]``: write a recognizer as ONNX (input ``skeleton`` ``(N, M, T, V, C)``,
output ``scores`` ``(N, K)``), optionally check it against PyTorch in ONNX Runtime and time both."""

import argparse
import math
import os
from typing import List, Optional

__all__ = ['build_parser', 'main']


#: Newest ONNX opset the exporter writes (torch.onnx's ONNX_MAX_OPSET in torch 2.13 is checked by the tests).
MAX_OPSET = 23


def build_parser(parser: Optional[argparse.ArgumentParser] = None) -> argparse.ArgumentParser:
    from .base import cfg_options_action

    if parser is None:
        from .main import command_parser

        parser = command_parser(
            'export',
            'Export a checkpoint to ONNX (input skeleton (N, M, T, V, C) float32, '
            'output scores (N, K); dynamic N, T and M).',
        )
    parser.add_argument('checkpoint', help='checkpoint (.pth) to export; pyskl checkpoints carry their config')
    parser.add_argument('--config', help='config file (needed for PYSKL / MMAction2 weights, which store none)')
    parser.add_argument('--format', choices=['onnx'], default='onnx', help='output format (only onnx)')
    parser.add_argument('--out', required=True, help='ONNX file to write, e.g. model.onnx (the name must end in .onnx)')
    parser.add_argument('--opset', type=int, default=None, help='ONNX opset (>= 13; default 17)')
    parser.add_argument(
        '--softmax', action='store_true', help='output class probabilities (softmax over K) instead of logits'
    )
    parser.add_argument(
        '--check',
        action='store_true',
        help='run the file in ONNX Runtime against PyTorch on --shapes; print the max abs difference '
        'per shape; exit 1 when one is >= --atol',
    )
    parser.add_argument(
        '--shapes',
        nargs='+',
        metavar='N,M,T',
        help='input shapes (N, M, T) of --check / --benchmark (default: T in 50, 100, 300 and '
        'M in 1, 2; a model whose data BatchNorm is over M * V * C keeps its M)',
    )
    parser.add_argument('--atol', type=float, default=1e-4, help='--check tolerance (default 1e-4)')
    parser.add_argument(
        '--benchmark',
        action='store_true',
        help='time PyTorch and ONNX Runtime on CPU, alternately, on the first shape (default 1,2,100)',
    )
    parser.add_argument('--threads', type=int, default=1, help='--benchmark threads for both runtimes (default 1)')
    parser.add_argument('--repeats', type=int, default=20, help='--benchmark runs per runtime (default 20)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='export even when --config disagrees with the config stored in the checkpoint',
    )
    parser.add_argument('--cfg-options', nargs='+', action=cfg_options_action(), help='override config settings (k=v)')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.opset is not None and not 13 <= args.opset <= MAX_OPSET:
        raise ValueError(f'--opset must be from 13 to {MAX_OPSET} (the exporter of torch 2.13), got {args.opset}')
    if not (math.isfinite(args.atol) and args.atol > 0):
        raise ValueError(f'--atol must be a finite number > 0, got {args.atol}')
    if args.threads < 1 or args.repeats < 1:
        raise ValueError('--threads and --repeats must be >= 1')
    if not os.path.isfile(args.checkpoint) and '://' not in args.checkpoint:
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    from pyskl.apis import export as ex
    from pyskl.core.extras import require

    shapes = [ex.parse_shape(s) for s in args.shapes] if args.shapes else None
    require('onnx', 'export')
    if args.check or args.benchmark:
        require('onnxruntime', 'export')
    if not args.out.lower().endswith('.onnx'):
        raise ValueError(f'--out {args.out}: an ONNX file name must end in .onnx')
    if os.path.abspath(args.out) == os.path.abspath(args.checkpoint):
        raise ValueError(f'--out {args.out} is the checkpoint itself; it would be overwritten')
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise FileNotFoundError(f'--out {args.out}: folder {out_dir} does not exist')

    from pyskl.apis import init_recognizer

    model = init_recognizer(args.config, args.checkpoint, cfg_options=args.cfg_options, force=args.force)
    info = ex.export_onnx(model, args.out, opset=args.opset or ex.DEFAULT_OPSET, softmax=args.softmax)
    name, dims = info['input']
    print(
        f'wrote {args.out}: input {name} {tuple(dims)} float32 -> {info["output"][0]} (batch, '
        f'{info["num_classes"]}) {"probabilities" if args.softmax else "logits"}, opset {info["opset"]}'
    )
    failed = False
    if args.check:
        results = ex.check_onnx(model, args.out, shapes or ex.DEFAULT_SHAPES, softmax=args.softmax, atol=args.atol)
        print(f'parity ONNX Runtime vs PyTorch (max abs diff, required < {args.atol:g}):')
        for r in results:
            print(
                f'  input {str(r["shape"]):<22} max abs diff {r["max_abs_diff"]:.3g}  '
                f'(max |score| {r["max_abs_score"]:.3g})  {"ok" if r["ok"] else "FAIL"}'
            )
        failed = not all(r['ok'] for r in results)
    if args.benchmark:
        shape = shapes[0] if shapes else (1, 2, 100)
        b = ex.benchmark_onnx(model, args.out, shape, repeats=args.repeats, threads=args.threads, softmax=args.softmax)
        print(
            f'benchmark input {b["shape"]}, {b["threads"]} thread(s), median of {args.repeats} alternating runs: '
            f'PyTorch {b["torch_ms"]:.2f} ms, ONNX Runtime {b["onnx_ms"]:.2f} ms, '
            f'ratio PyTorch/ORT {b["speedup"]:.2f}'
        )
    return 1 if failed else 0

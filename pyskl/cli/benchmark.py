"""``pyskl benchmark`` (``tools/analysis/benchmark.py``): training and inference throughput of a config's model
and the data pipeline's throughput.

    pyskl benchmark CONFIG [--batch B] [--iters N] [--warmup W] [--device cpu|cuda]
        [--amp] [--compile] [--cudnn-benchmark] [--data-iters N] [--cfg-options k=v ...]

Prints samples/s of a training step (forward, backward, optimizer step), of inference on the test
pipeline's clips, and of the training data pipeline in one worker. Needs the config's annotation
file (batches are real pipeline outputs). See :mod:`pyskl.apis.benchmark`; FLOPs and parameters:
``pyskl flops``.
"""
from typing import List, Optional

from .base import command_parser


def build_parser(parser=None):
    from mmengine.config import DictAction

    if parser is None:
        parser = command_parser('benchmark', 'Benchmark a pyskl config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--batch', type=int, help='samples per step (default: train_dataloader.batch_size)')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--amp', action='store_true', help='mixed precision (fp16 on CUDA, bf16 on CPU)')
    parser.add_argument('--compile', action='store_true', help='torch.compile the backbone')
    parser.add_argument('--cudnn-benchmark', action='store_true', help='torch.backends.cudnn.benchmark = True')
    parser.add_argument('--data-iters', type=int, help='samples timed through the pipeline (default iters x batch)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser


def format_benchmark(res: dict) -> str:
    """The results of :func:`pyskl.apis.benchmark.benchmark_config` as a table."""
    rows = [('Training step', f'{res["train"]:.2f}',
             f'batch {res["batch_size"]}, input {res["input_shape"]}, {res["train_tflops"]:.3g} TFLOP/s'),
            ('Inference', f'{res["inference"]:.2f}',
             f'batch {res["batch_size"]}, input {res["test_input_shape"]}, {res["inference_tflops"]:.3g} TFLOP/s'),
            ('Data pipeline (1 worker)', f'{res["data"]:.2f}', 'training pipeline')]
    w0 = max(len(r[0]) for r in rows + [('Measure', )])
    w1 = max(len(r[1]) for r in rows + [('', 'Samples/s')])
    mode = [m for m, on in (('AMP', res['amp']), ('compiled', res.get('compile'))) if on]
    lines = [f'Device: {res["device"]}' + (f' ({", ".join(mode)})' if mode else '')
             + f'; {res["flops_per_clip"] / 1e9:.3f} GFLOPs (multiply-adds) per clip',
             f'{"Measure":<{w0}}  {"Samples/s":>{w1}}  Notes']
    lines += [f'{a:<{w0}}  {b:>{w1}}  {c}' for a, b, c in rows]
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pyskl.apis.benchmark import benchmark_config
    res = benchmark_config(args.config, batch_size=args.batch, iters=args.iters, warmup=args.warmup,
                           device=args.device, amp=args.amp, data_iters=args.data_iters,
                           cfg_options=args.cfg_options, compile=args.compile,
                           cudnn_benchmark=args.cudnn_benchmark)
    print(format_benchmark(res))
    return 0

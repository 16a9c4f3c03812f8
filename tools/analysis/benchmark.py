"""Training and inference throughput of a config's model and the data pipeline's throughput.

    python tools/analysis/benchmark.py CONFIG [--batch B] [--iters N] [--warmup W] [--device cpu|cuda]
        [--amp] [--compile] [--cudnn-benchmark] [--data-iters N] [--cfg-options k=v ...]

Prints samples/s of a training step (forward, backward, optimizer step), of inference on the test
pipeline's clips, and of the training data pipeline in one worker. Needs the config's annotation
file (batches are real pipeline outputs). See :mod:`pyskl.apis.benchmark`; FLOPs and parameters:
``tools/analysis/get_flops.py``.
"""
import argparse
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark a pyskl config')
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
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from pyskl.apis.benchmark import benchmark_config, format_benchmark
    res = benchmark_config(args.config, batch_size=args.batch, iters=args.iters, warmup=args.warmup,
                           device=args.device, amp=args.amp, data_iters=args.data_iters,
                           cfg_options=args.cfg_options, compile=args.compile,
                           cudnn_benchmark=args.cudnn_benchmark)
    print(format_benchmark(res))


if __name__ == '__main__':
    sys.exit(main())

"""Training and inference throughput of a config's model and the data pipeline's throughput.

    python tools/analysis/benchmark.py CONFIG [--batch B] [--iters N] [--warmup W] [--device cpu|cuda]
        [--amp] [--compile] [--cudnn-benchmark] [--data-iters N] [--cfg-options k=v ...]

    python tools/analysis/benchmark.py --compare-rev [REV] [--backbones ST-GCN ST-GCN++ ...] [--reps 3]
        [--iters 3] [--warmup 1] [--threads 2] [--shape 8 2 100 25 3] [--data-iters 50] [--cfg-options ...]

Prints samples/s of a training step (forward, backward, optimizer step), of inference on the test
pipeline's clips, and of the training data pipeline in one worker. Needs the config's annotation
file (batches are real pipeline outputs). See :mod:`pyskl.apis.benchmark`; FLOPs and parameters:
``tools/analysis/get_flops.py``.

With ``--compare-rev`` it times this tree against git revision REV instead (default: main before the speed
changes, ``pyskl.apis.benchmark_compare.BASELINE_REV``), per backbone (the NTU60-XSub 3D
joint configs), in alternating fresh processes on random inputs (no annotation file needed), and prints the
eval-forward, train-step, peak-memory and data-pipeline ratios as a markdown table; see
:mod:`pyskl.apis.benchmark_compare`.
"""
import argparse
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark a pyskl config')
    parser.add_argument('config', nargs='?', help='config file path (not with --compare-rev)')
    parser.add_argument('--batch', type=int, help='samples per step (default: train_dataloader.batch_size)')
    parser.add_argument('--iters', type=int, help='timed iterations (default 10; 3 per process with --compare-rev)')
    parser.add_argument('--warmup', type=int, help='untimed iterations first (default 2; 1 with --compare-rev)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--amp', action='store_true', help='mixed precision (fp16 on CUDA, bf16 on CPU)')
    parser.add_argument('--compile', action='store_true', help='torch.compile the backbone')
    parser.add_argument('--cudnn-benchmark', action='store_true', help='torch.backends.cudnn.benchmark = True')
    parser.add_argument('--data-iters', type=int, help='samples timed through the pipeline (default iters x batch)')
    parser.add_argument('--compare-rev', metavar='REV', nargs='?', const='baseline',
                        help='time this tree against git revision REV (no REV: the pre-speed-change baseline)')
    parser.add_argument('--backbones', nargs='+', help='with --compare-rev: backbones to compare (default all)')
    parser.add_argument('--reps', type=int, default=3, help='with --compare-rev: fresh processes per side')
    parser.add_argument('--threads', type=int, default=2, help='with --compare-rev: torch threads per process')
    parser.add_argument('--shape', type=int, nargs=5, default=(8, 2, 100, 25, 3), metavar=('N', 'M', 'T', 'V', 'C'),
                        help='with --compare-rev: the random input')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.compare_rev:
        if args.config:
            raise SystemExit('--compare-rev measures the backbone configs itself; give no config')
        from pyskl.apis.benchmark_compare import BASELINE_REV, compare_revisions, format_comparison
        rev = BASELINE_REV if args.compare_rev == 'baseline' else args.compare_rev
        res = compare_revisions(rev, backbones=args.backbones, reps=args.reps,
                                iters=args.iters or 3, warmup=1 if args.warmup is None else args.warmup,
                                threads=args.threads, shape=args.shape, cfg_options=args.cfg_options,
                                data_iters=50 if args.data_iters is None else args.data_iters,
                                log=lambda line: print(line, file=sys.stderr, flush=True))
        print(format_comparison(res))
        return 0
    if not args.config:
        raise SystemExit('give a config (or --compare-rev REV)')
    args.iters = 10 if args.iters is None else args.iters
    args.warmup = 2 if args.warmup is None else args.warmup
    from pyskl.apis.benchmark import benchmark_config, format_benchmark
    res = benchmark_config(args.config, batch_size=args.batch, iters=args.iters, warmup=args.warmup,
                           device=args.device, amp=args.amp, data_iters=args.data_iters,
                           cfg_options=args.cfg_options, compile=args.compile,
                           cudnn_benchmark=args.cudnn_benchmark)
    print(format_benchmark(res))


if __name__ == '__main__':
    sys.exit(main())

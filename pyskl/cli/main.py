"""``pyskl <command> ...`` (also ``python -m pyskl``): one table of subcommands, each a module of
:mod:`pyskl.cli` with ``build_parser(parser=None) -> argparse.ArgumentParser`` (adds its arguments to
``parser``, or to a new parser when None) and ``main(argv=None) -> int``. Modules are imported only when
their command runs (``pyskl --help`` imports no torch)."""

import importlib
import sys
from typing import List, Optional

from .base import command_parser, long_run_settings, run_cli

__all__ = ['COMMANDS', 'command_parser', 'main']

#: command -> (module under pyskl.cli, one-line help, passive OpenMP waits (long CPU jobs))
COMMANDS = {
    'train': ('train', 'train a recognizer (tools/train.py)', True),
    'test': ('test', 'test a checkpoint (tools/test.py)', True),
    'fuse': ('fuse', 'fuse result files of several streams', False),
    'streams': ('streams', 'train/test/fuse a family of j/b/jm/bm(/k/km) configs', True),
    'inspect': ('inspect_data', 'summarise and validate an annotation pickle (tools/misc/inspect_data.py)', False),
    'visualize': ('visualize', 'draw one sample as a GIF or MP4 (tools/visualize_skeleton.py)', False),
    'flops': ('flops', 'parameters and GFLOPs of a config (tools/analysis/get_flops.py)', False),
    'benchmark': ('benchmark', 'training / inference / data throughput (tools/analysis/benchmark.py)', True),
    'analyze-logs': ('analyze_logs', 'plot training curves (tools/analysis/analyze_logs.py)', False),
    'confusion': ('confusion', 'confusion matrix and per-class accuracy (tools/analysis/confusion_matrix.py)', False),
    'print-config': ('print_config', 'print the resolved config (tools/misc/print_config.py)', False),
    'convert-config': ('convert_config', 'rewrite a PYSKL (mmcv 1.x) config as a pyskl config', False),
    'ntu-preproc': (
        'ntu_preproc',
        'NTU RGB+D .skeleton files -> annotation pickles (tools/data/ntu_preproc.py)',
        False,
    ),
    'extract-2d': ('extract_2d', '2D COCO-17 skeletons from videos (tools/data/extract_2d_skeleton.py)', False),
    'make-demo-data': ('make_demo_data', 'the synthetic demo dataset (tools/data/make_demo_data.py)', False),
    'export': ('export', 'export a checkpoint to ONNX', False),
    'predict': ('predict', 'classify skeletons (.npy / .pkl / .json / video): top-k, or sliding-window segments', True),
    'live': ('live', 'live recognition from a camera, video file or stream URL (demo/webcam_demo.py)', True),
    'extract-features': ('extract_features', 'backbone features of a split, keyed by frame_dir (.pkl / .npy)', True),
}


def _help() -> str:
    width = max((len(c) for c in COMMANDS), default=0)
    lines = ['usage: pyskl <command> [args]   (pyskl <command> --help for its arguments)', '', 'commands:']
    lines += [f'  {name:<{width}}  {entry[1]}' for name, entry in COMMANDS.items()]
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(_help())
        return 0 if argv else 2
    if argv[0] in ('-V', '--version'):
        from pyskl import __version__

        print(f'pyskl {__version__}')
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f'error: unknown command {name!r}\n\n{_help()}', file=sys.stderr)
        return 2
    module_name, _, passive = COMMANDS[name]
    if passive:  # before the command's module is imported (it may import torch)
        long_run_settings()
    module = importlib.import_module(f'pyskl.cli.{module_name}')
    return run_cli(module.main, rest)


if __name__ == '__main__':
    sys.exit(main())

"""Command-line front doors: a user's mistake is one clear line on stderr, not a traceback."""

import argparse
import math
import os
import pickle
import re
import sys
from typing import Callable, Optional

from pyskl.core.allocator import tune_allocator
from pyskl.core.extras import MissingExtraError

__all__ = [
    'USER_ERRORS',
    'cfg_options_action',
    'check_run_outputs',
    'command_parser',
    'is_out_of_memory',
    'long_run_settings',
    'passive_openmp_waits',
    'run_cli',
]

#: Errors that describe a bad input (a file, a config value, an argument) or a missing optional dependency: their
#: message is the whole story.
USER_ERRORS = (ValueError, OSError, KeyError, pickle.UnpicklingError, MissingExtraError)


def passive_openmp_waits() -> None:
    """``OMP_WAIT_POLICY=PASSIVE`` unless the environment sets it: idle OpenMP threads sleep instead of spinning.

    Must run before torch is imported (the OpenMP runtime reads it once). Measured on a 2-core machine
    (ST-GCN++ width 32, batch 16, T=50, one training step, 2 threads): alone, 423 ms (default) vs 478 ms (passive);
    two such processes at once, 13.7 s (default: each spins while the other holds the cores) vs 1.1 s (passive).
    Long training and test runs share cores with data workers and other jobs, so the tools choose the policy that
    cannot collapse; set ``OMP_WAIT_POLICY=ACTIVE`` for an exclusive machine.
    """
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')


def long_run_settings() -> None:
    """The process settings of the commands that run models: :func:`passive_openmp_waits` and
    :func:`pyskl.core.allocator.tune_allocator` (freed memory kept for reuse). Call before torch is imported."""
    passive_openmp_waits()
    tune_allocator()


def run_cli(
    main: Callable[[Optional[list]], Optional[int]], argv: Optional[list] = None, passive_waits: bool = False
) -> int:
    """Run a tool's ``main(argv)``; on one of :data:`USER_ERRORS` print ``error: <message>`` to stderr and return 1.

    Set ``PYSKL_DEBUG=1`` to get the traceback instead. Other exceptions (bugs) propagate with their traceback.
    ``passive_waits``: call :func:`long_run_settings` first (the tools that run models do).
    """
    if passive_waits:
        long_run_settings()
    try:
        return main(argv) or 0
    except USER_ERRORS as e:
        if os.environ.get('PYSKL_DEBUG'):
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1
    except TypeError as e:
        # mmengine passes config entries to constructors as keyword arguments: a misspelt nested key
        # (train_cfg.max_epoch=3, train_dataloader.batchsize=4) reaches them as an unexpected argument
        if os.environ.get('PYSKL_DEBUG') or 'unexpected keyword argument' not in str(e):
            raise
        return _hinted_error(str(e), 'a misspelt or unknown key in the config or --cfg-options')
    except (MemoryError, RuntimeError) as e:
        # numpy's _ArrayMemoryError is a MemoryError; torch's CPU allocator raises a RuntimeError. A size in an
        # input file, a config or an argument asked for more memory than there is: a clear line, not a traceback
        if os.environ.get('PYSKL_DEBUG') or not is_out_of_memory(e):
            raise
        return _hinted_error(
            f'out of memory: {str(e).strip() or type(e).__name__}',
            'an input, a config value or an argument asks for more memory than this machine has',
        )


def _hinted_error(message: str, hint: str) -> int:
    """Print ``error: <first line of message>`` and the hint to stderr; exit status 1."""
    print(f'error: {message.strip().splitlines()[0][:400]}\n  {hint} (PYSKL_DEBUG=1 shows where)', file=sys.stderr)
    return 1


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is a failed allocation (numpy / Python ``MemoryError``, torch's allocator errors)."""
    if isinstance(error, MemoryError):
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and (
        "can't allocate memory" in text or 'DefaultCPUAllocator' in text or 'CUDA out of memory' in text
    )


def _checked(text: str, cast, accept, what: str):
    """``cast(text)`` if ``accept`` holds for it, else an ``argparse.ArgumentTypeError`` (exit status 2)."""
    try:
        value = cast(text)
    except ValueError:
        value = None
    if value is None or not accept(value):
        raise argparse.ArgumentTypeError(f'expected {what}, got {text!r}')
    return value


def positive_int(text: str) -> int:
    """argparse ``type`` for a count: an int >= 1."""
    return _checked(text, int, lambda v: v >= 1, 'a positive int')


def positive_float(text: str) -> float:
    """argparse ``type`` for a bound: a finite number > 0."""
    return _checked(text, float, lambda v: math.isfinite(v) and v > 0, 'a positive number')


def finite_float(text: str) -> float:
    """argparse ``type`` for a finite number (no nan / inf)."""
    return _checked(text, float, math.isfinite, 'a finite number')


def command_parser(name: str, description: Optional[str] = None, **kwargs) -> argparse.ArgumentParser:
    """The parser of ``pyskl <name>``.

    Its ``prog`` is ``pyskl <name>``, except when a ``tools/*.py`` front door runs it (``sys.argv[0]`` is a
    ``.py`` script other than ``__main__.py``): then it stays argparse's default, the script's name, so
    ``python tools/train.py --help`` reads as it always did.
    """
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ''
    prog = None if script.endswith('.py') and script != '__main__.py' else f'pyskl {name}'
    return argparse.ArgumentParser(prog=prog, description=description, **kwargs)


#: A ``--cfg-options`` key: a dotted config path (names, list indices).
_CFG_KEY = re.compile(r'^[A-Za-z_]\w*(\.\w+)*$')


def cfg_options_action():
    """The argparse action of ``--cfg-options KEY=VALUE ...``: mmengine's ``DictAction`` (values parsed as it parses
    them), with a malformed item as a usage error (exit 2) naming it: no ``=`` ("not enough values to unpack"), an
    empty or non-path key (``=5`` broke the printed config), an unbalanced bracket (a bare AssertionError)."""
    from mmengine.config import DictAction

    class CfgOptions(DictAction):
        def __call__(self, parser, namespace, values, option_string=None):
            options = dict(getattr(namespace, self.dest, None) or {})
            for item in values or []:
                key, sep, value = item.partition('=')
                if not sep or not _CFG_KEY.match(key):
                    parser.error(
                        f'{option_string} {item!r}: expected KEY=VALUE with KEY a dotted config path, '
                        'e.g. model.backbone.base_channels=32'
                    )
                try:
                    options[key] = self._parse_iterable(value)
                except (AssertionError, ValueError, IndexError) as e:
                    parser.error(f'{option_string} {item!r}: cannot parse the value ({e or "unbalanced brackets"})')
            setattr(namespace, self.dest, options)

    return CfgOptions


def check_run_outputs(cfg, config: Optional[str], outputs: dict) -> None:
    """Before a train / test run: its output files (``{'--out': path, ...}``) are not one of the config's annotation
    files, and its work dir would not write the config's dump over the config itself (mmengine dumps the resolved
    config as ``<work_dir>/<config file name>``: training into the config's own folder replaced the user's file, its
    ``_base_`` and comments)."""
    from pyskl.core.config_facts import ann_files
    from pyskl.core.fileio import check_output_path, check_writable_folder

    inputs = [('an annotation file of the config', path) for path in ann_files(cfg)]
    for option, path in outputs.items():
        if path:
            check_output_path(path, option, inputs)
            check_writable_folder(path, option)
    work_dir = cfg.get('work_dir')
    if config and work_dir:
        dumped = os.path.join(work_dir, os.path.basename(config))
        if os.path.realpath(dumped) == os.path.realpath(config):
            raise ValueError(
                f'--work-dir {work_dir} is the folder of the config {config}: the run writes its resolved config there '
                'under the same name, over yours; choose another work dir'
            )

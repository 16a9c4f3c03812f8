"""``pyskl <command> ...`` (also ``python -m pyskl``): one table of subcommands, each a module of
:mod:`pyskl.cli` with ``build_parser(parser=None) -> argparse.ArgumentParser`` (adds its arguments to
``parser``, or to a new parser when None) and ``main(argv=None) -> int``. Modules are imported only when
their command runs (``pyskl --help`` imports no torch)."""
import argparse
import importlib
import sys
from typing import List, Optional

from .base import run_cli

#: command -> (module under pyskl.cli, one-line help, passive OpenMP waits (long CPU jobs))
COMMANDS = {
    'predict': ('predict', 'classify skeletons (.npy / .pkl / .json / video): top-k, or sliding-window segments', True),
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
    module = importlib.import_module(f'pyskl.cli.{module_name}')
    return run_cli(module.main, rest, passive_waits=passive)


def command_parser(name: str, description: Optional[str] = None) -> argparse.ArgumentParser:
    """The parser of ``pyskl <name>`` (``prog`` shows the full command)."""
    return argparse.ArgumentParser(prog=f'pyskl {name}', description=description)


if __name__ == '__main__':
    sys.exit(main())

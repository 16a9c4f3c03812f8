"""Run the ``pyskl`` command in a subprocess as a user would: ``from commands import run_pyskl``."""

import os
import subprocess
import sys


def run_pyskl(*args, timeout: float = 300, **env) -> subprocess.CompletedProcess:
    """``python -m pyskl ARGS`` with one OpenMP thread (plus ``env``); stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, '-m', 'pyskl', *map(str, args)],
        env=dict(os.environ, OMP_NUM_THREADS='1', **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )

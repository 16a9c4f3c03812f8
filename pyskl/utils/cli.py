"""Command-line front doors: a user's mistake is one clear line on stderr, not a traceback."""
import os
import pickle
import sys
from typing import Callable, Optional

__all__ = ['USER_ERRORS', 'run_cli']

#: Errors that describe a bad input (a file, a config value, an argument): their message is the whole story.
USER_ERRORS = (ValueError, OSError, KeyError, pickle.UnpicklingError)


def run_cli(main: Callable[[Optional[list]], Optional[int]], argv: Optional[list] = None) -> int:
    """Run a tool's ``main(argv)``; on one of :data:`USER_ERRORS` print ``error: <message>`` to stderr and return 1.

    Set ``PYSKL_DEBUG=1`` to get the traceback instead. Other exceptions (bugs) propagate with their traceback.
    """
    try:
        return main(argv) or 0
    except USER_ERRORS as e:
        if os.environ.get('PYSKL_DEBUG'):
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {message}', file=sys.stderr)
        return 1

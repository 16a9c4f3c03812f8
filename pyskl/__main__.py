"""``python -m pyskl <command> ...``: the same as the ``pyskl`` console command."""

import sys

from pyskl.cli.main import main

if __name__ == '__main__':
    sys.exit(main())

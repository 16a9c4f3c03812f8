"""Convert a PYSKL config: ``python tools/misc/convert_config.py OLD.py NEW.py``, the same as
``pyskl convert-config OLD.py NEW.py`` (arguments and behaviour: :mod:`pyskl.cli.convert_config`, or ``--help``)."""

import sys

from pyskl.cli.base import run_cli
from pyskl.cli.convert_config import main

if __name__ == '__main__':
    sys.exit(run_cli(main))

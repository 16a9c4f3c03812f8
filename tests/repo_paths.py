"""Where things are, for every test module: ``from repo_paths import REPO, SHARED, VIDEO`` (``tests/`` is on
``pythonpath`` in pyproject.toml). One definition instead of path arithmetic in each file."""

import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), 'shared')
VIDEO = os.path.join(SHARED, 'data', 'ntu_sample.avi')  # the real NTU clip
CONFIG_DIR = os.path.join(REPO, 'configs')

"""The import contracts of pyskl (pyproject.toml, ``[tool.importlinter]``) hold, and the checker would notice a
violation: a copy of the package with one upward import is reported broken."""

import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip('importlinter')

LINT = 'import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())'


def _lint(root: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=root)
    return subprocess.run(
        [sys.executable, '-c', LINT, '--no-cache', '--config', os.path.join(root, 'pyproject.toml')],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contracts_hold(repo_root):
    res = _lint(repo_root)
    assert res.returncode == 0, res.stdout + res.stderr
    assert '0 broken' in res.stdout


@pytest.mark.parametrize(
    'module, line, broken',
    [
        ('core/layout.py', 'import pyskl.datasets  # noqa', 'Layers point down'),  # core importing up
        ('models/losses.py', 'import pyskl.datasets  # noqa', 'Layers point down'),  # sibling layers
        ('core/keys.py', 'import torch  # noqa', 'The core is torch-free'),
    ],
)
def test_a_violation_is_reported(repo_root, tmp_path, module, line, broken):
    shutil.copytree(os.path.join(repo_root, 'pyskl'), tmp_path / 'pyskl', ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy(os.path.join(repo_root, 'pyproject.toml'), tmp_path / 'pyproject.toml')
    path = tmp_path / 'pyskl' / module
    path.write_text(path.read_text() + '\n' + line + '\n')
    res = _lint(str(tmp_path))
    assert res.returncode != 0
    assert f'{broken}' in res.stdout and 'BROKEN' in res.stdout, res.stdout

"""The acceptance check against the fixtures produced by the original implementations."""
import os
import subprocess
import sys

import pytest

MODELS = ['pyskl_stgcn_ntu60_xsub_3dkp', 'pyskl_stgcnpp_ntu60_xsub_3dkp']


@pytest.mark.parametrize('name', MODELS)
def test_reference_fixture(repo_root, shared_dir, name):
    checker = os.path.join(shared_dir, 'reference', 'check_reference.py')
    out = subprocess.run([sys.executable, checker, '--only', name], cwd=repo_root, capture_output=True,
                         text=True, env=dict(os.environ, PROJECT=repo_root), timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'ALL PASS' in out.stdout

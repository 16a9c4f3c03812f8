"""The acceptance check against the fixtures produced by the original implementations.

Runs ``../shared/reference/check_reference.py`` (the checker the anchors' fixtures come with) on the six
PYSKL 3D models and ProtoGCN: keys, shapes and dtypes equal, logits within 1e-4, graph tensors of a fresh
model; for ProtoGCN also the predict path and the train-mode loss (with its class memory) on a fixed batch.
"""

import os
import subprocess
import sys

MODELS = [
    'pyskl_stgcn_ntu60_xsub_3dkp',
    'pyskl_stgcnpp_ntu60_xsub_3dkp',
    'pyskl_aagcn_ntu60_xsub_3dkp',
    'pyskl_msg3d_ntu60_xsub_3dkp',
    'pyskl_dgstgcn_ntu60_xsub_3dkp',
    'pyskl_ctrgcn_ntu60_xsub_3dkp',
    'protogcn_ntu60_xsub_3dkp',
]


def test_reference_fixtures(repo_root, shared_dir):
    checker = os.path.join(shared_dir, 'reference', 'check_reference.py')
    out = subprocess.run(
        [sys.executable, checker, '--only', *MODELS],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=dict(os.environ, PROJECT=repo_root),
        timeout=900,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'ALL PASS' in out.stdout
    assert sum(line.rstrip().endswith('PASS') for line in out.stdout.splitlines()) == len(MODELS) + 1

"""Parameter / FLOP counting (pyskl.apis.complexity, tools/analysis/get_flops.py) vs the reference schemas."""

import json
import os
import subprocess
import sys

import pytest

from pyskl.apis.complexity import get_flops

# (schema name, config, cfg_options): the HRNet 2D model is the 3D config on the 17-joint coco layout
CASES = [
    ('pyskl_stgcn_ntu60_xsub_3dkp', 'configs/stgcn/stgcn_pyskl_ntu60_xsub_3dkp/j.py', None),
    ('pyskl_stgcnpp_ntu60_xsub_3dkp', 'configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py', None),
    ('pyskl_aagcn_ntu60_xsub_3dkp', 'configs/aagcn/aagcn_pyskl_ntu60_xsub_3dkp/j.py', None),
    ('pyskl_aagcn_ntu60_xsub_hrnet', 'configs/aagcn/aagcn_pyskl_ntu60_xsub_3dkp/j.py', {'layout': 'coco'}),
    ('pyskl_msg3d_ntu60_xsub_3dkp', 'configs/msg3d/msg3d_pyskl_ntu60_xsub_3dkp/j.py', None),
    ('pyskl_msg3d_ntu60_xsub_hrnet', 'configs/msg3d/msg3d_pyskl_ntu60_xsub_3dkp/j.py', {'layout': 'coco'}),
    ('pyskl_dgstgcn_ntu60_xsub_3dkp', 'configs/dgstgcn/ntu60_xsub_3dkp/j.py', None),
    ('pyskl_ctrgcn_ntu60_xsub_3dkp', 'configs/ctrgcn/ctrgcn_pyskl_ntu60_xsub_3dkp/j.py', None),
    ('pyskl_ctrgcn_ntu60_xsub_hrnet', 'configs/ctrgcn/ctrgcn_pyskl_ntu60_xsub_hrnet/j.py', None),
    ('protogcn_ntu60_xsub_3dkp', 'configs/protogcn/ntu60_xsub_3dkp/j.py', None),
]


def load_schema(shared_dir, name):
    with open(os.path.join(shared_dir, 'reference', 'schema', f'{name}.json')) as f:
        return json.load(f)


@pytest.mark.parametrize('name,config,cfg_options', CASES, ids=[c[0] for c in CASES])
def test_params_and_flops_match_schema(repo_root, shared_dir, name, config, cfg_options):
    schema = load_schema(shared_dir, name)
    res = get_flops(os.path.join(repo_root, config), cfg_options=cfg_options)
    assert res['shape'] == (1, 2, 100, schema['num_joints'], 3)
    assert res['params'] == schema['params_trainable']
    assert res['flops'] / 1e9 == pytest.approx(schema['gmacs'], rel=0.01)


def test_get_flops_cli(repo_root, shared_dir):
    """The CLI: explicit --shape scales the count linearly in T; --include-norm adds BatchNorm (MMAction2's
    published ST-GCN figure, 5.71 GFLOPs)."""
    schema = load_schema(shared_dir, 'pyskl_stgcn_ntu60_xsub_3dkp')
    cfg = os.path.join(repo_root, 'configs/stgcn/stgcn_pyskl_ntu60_xsub_3dkp/j.py')
    tool = os.path.join(repo_root, 'tools', 'analysis', 'get_flops.py')

    def run(*args):
        out = subprocess.run([sys.executable, tool, cfg, *args], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        lines = dict(line.split(': ', 1) for line in out.stdout.splitlines() if ': ' in line)
        return lines, float(lines['GFLOPs'].split()[0])

    lines, gflops = run('--shape', '1', '2', '20', '25', '3', '--include-norm')
    assert lines['Input shape'] == '(1, 2, 20, 25, 3)'
    assert lines['Params'] == f'3.10 M ({schema["params_trainable"]} trainable)'
    assert gflops == pytest.approx(5.71 / 5, rel=0.01)  # every layer's cost is linear in T
    assert 'batch_norm' in lines['By operator (GFLOPs)']

    out = subprocess.run([sys.executable, tool, cfg, '--shape', '1', '2'], capture_output=True, text=True)
    assert out.returncode != 0 and '--shape' in out.stderr


def test_bad_shape_is_refused(repo_root):
    with pytest.raises(ValueError, match=r'\(N, M, T, V, C\)'):
        get_flops(os.path.join(repo_root, 'configs/stgcn/stgcn_pyskl_ntu60_xsub_3dkp/j.py'), shape=(1, 2, 100, 25))

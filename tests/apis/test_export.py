"""ONNX export: every backbone exports and matches PyTorch in ONNX Runtime, the axes N, M, T are really dynamic
(M fixed for 'MVC' models), MS-G3D's export twin is exact, and ``pyskl export --check`` works on a checkpoint
saved by the training runner."""

import os
import subprocess
import sys

import pytest
import torch

pytest.importorskip('onnx', reason='onnx is not installed (pip install "pyskl[export]")')
ort = pytest.importorskip('onnxruntime', reason='onnxruntime is not installed (pip install "pyskl[export]")')

from pyskl.apis import init_recognizer  # noqa: E402
from pyskl.apis.export import SliceWindows, check_onnx, export_onnx, fixed_persons, onnx_session  # noqa: E402
from repo_paths import REPO  # noqa: E402


#: backbone -> (config, small-width options); the head's in_channels = 4 x base_channels
BACKBONES = {
    'stgcn': ('stgcn/stgcn_pyskl_ntu60_xsub_3dkp', dict(base_channels=8)),
    'stgcn++': ('stgcn++/stgcn++_ntu60_xsub_3dkp', dict(base_channels=8)),
    'aagcn': ('aagcn/aagcn_pyskl_ntu60_xsub_3dkp', dict(base_channels=8)),
    'ctrgcn': ('ctrgcn/ctrgcn_pyskl_ntu60_xsub_3dkp', dict(base_channels=8)),
    'dgstgcn': ('dgstgcn/ntu60_xsub_3dkp', dict(base_channels=16)),
    'msg3d': ('msg3d/msg3d_pyskl_ntu60_xsub_3dkp', dict(base_channels=6, num_gcn_scales=4, num_g3d_scales=2)),
    'protogcn': ('protogcn/ntu60_xsub_3dkp', dict(base_channels=16, num_prototype=8)),
}


def small_model(name):
    """The backbone's NTU-60 joint config at a small width, with data-calibrated BatchNorm statistics and a
    unit-scale classifier, so the logits are O(1) as a trained model's (at initialisation some backbones give
    logits of 1e4, where 1e-4 is below float32 resolution)."""
    config, backbone = BACKBONES[name]
    options = {f'model.backbone.{k}': v for k, v in backbone.items()}
    options['model.cls_head.in_channels'] = 4 * backbone['base_channels']
    model = init_recognizer(os.path.join(REPO, 'configs', config, 'j.py'), cfg_options=options)
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(4, 2, 40, 25, 3, generator=g), mode='tensor')
        model.cls_head.fc_cls.weight.normal_(0, model.cls_head.in_channels**-0.5, generator=g)
    return model.eval()


@pytest.mark.parametrize('name', sorted(BACKBONES))
def test_each_backbone_exports_and_matches_pytorch(name, tmp_path):
    model = small_model(name)
    path = str(tmp_path / f'{name}.onnx')
    info = export_onnx(model, path)
    M = fixed_persons(model)
    assert M == (2 if name in ('aagcn', 'ctrgcn', 'msg3d') else None)  # their data BN is over M * V * C
    assert info['input'] == ('skeleton', ('batch', M or 'persons', 'frames', 25, 3))
    shapes = [(1, 1, 50), (2, 2, 100)] if M is None else [(1, 2, 50), (2, 2, 100)]
    results = check_onnx(model, path, shapes)
    assert [r['shape'] for r in results] == [s + (25, 3) for s in shapes]
    for r in results:
        assert r['max_abs_score'] > 0.5, r  # the scores are not vanishing: the difference means something
        assert r['max_abs_diff'] < 1e-4 and r['ok'], r


def test_axes_are_dynamic_and_softmax_option(tmp_path):
    import onnx

    model = small_model('stgcn++')
    path = str(tmp_path / 'm.onnx')
    export_onnx(model, path, softmax=True)
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ['batch', 'persons', 'frames', 25, 3]
    session = onnx_session(path)
    g = torch.Generator().manual_seed(1)
    for shape in [(1, 1, 50), (3, 2, 50), (1, 1, 100), (2, 2, 100)]:  # one file, every (N, M, T)
        x = torch.randn(*shape, 25, 3, generator=g)
        [got] = session.run(['scores'], {'skeleton': x.numpy()})
        with torch.no_grad():
            expected = model(x, mode='tensor').softmax(-1)
        assert got.shape == (shape[0], 60)
        torch.testing.assert_close(torch.from_numpy(got), expected, atol=1e-5, rtol=0)


def test_fixed_persons_model_rejects_another_m(tmp_path):
    model = small_model('aagcn')
    path = str(tmp_path / 'm.onnx')
    export_onnx(model, path)
    with pytest.raises(ValueError, match='MVC'):  # PyTorch refuses M=1 ...
        model(torch.zeros(1, 1, 50, 25, 3), mode='tensor')
    with pytest.raises(Exception, match='(?i)dimension|shape'):  # ... and so does ONNX Runtime
        onnx_session(path).run(['scores'], {'skeleton': torch.zeros(1, 1, 50, 25, 3).numpy()})


@pytest.mark.parametrize('window,stride,dilation,T', [(3, 1, 1, 50), (5, 2, 1, 51), (3, 2, 2, 20), (5, 1, 3, 7)])
def test_slice_windows_equal_unfold(window, stride, dilation, T):
    from pyskl.models.gcns.msg3d import UnfoldWindows

    x = torch.randn(2, 3, T, 25, generator=torch.Generator().manual_seed(0))
    expected = UnfoldWindows(window, stride, dilation)(x)
    assert torch.equal(SliceWindows(window, stride, dilation)(x), expected)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One epoch of the ST-GCN++ demo config (width 16) on a synthetic NTU-format annotation, saved by the
    training runner (tools/train.py)."""
    from pyskl.datasets.synthetic import make_demo_dataset

    root = tmp_path_factory.mktemp('export_trained')
    ann = str(root / 'demo.pkl')
    make_demo_dataset(ann, num_subjects=2, samples_per_class_per_subject=1, seed=0)
    options = [f'ann_file={ann}', 'train_cfg.max_epochs=1', 'clip_len=16']
    for loader in ('train', 'val', 'test'):
        options += [f'{loader}_dataloader.num_workers=0', f'{loader}_dataloader.persistent_workers=False']
    config = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_demo_3dkp', 'j.py')
    run(
        [
            sys.executable,
            os.path.join(REPO, 'tools', 'train.py'),
            config,
            '--work-dir',
            str(root / 'work'),
            '--seed',
            '0',
            '--cfg-options',
            *options,
        ]
    )
    return str(root / 'work' / 'epoch_1.pth')


def run(cmd, ok=True):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600
    )
    assert (proc.returncode == 0) == ok, f'{cmd}\nexit {proc.returncode}\n{proc.stdout[-4000:]}'
    return proc.stdout


@pytest.mark.slow
def test_cli_export_check_on_a_trained_checkpoint(trained, tmp_path):
    out = str(tmp_path / 'model.onnx')
    text = run(
        [
            sys.executable,
            '-m',
            'pyskl',
            'export',
            trained,
            '--format',
            'onnx',
            '--out',
            out,
            '--check',
            '--shapes',
            '1,1,50',
            '2,2,100',
        ]
    )
    assert "input skeleton ('batch', 'persons', 'frames', 25, 3)" in text and '(batch, 10) logits' in text
    lines = [line for line in text.splitlines() if line.startswith('  input')]
    assert len(lines) == 2 and all(line.endswith('ok') for line in lines), text
    assert '(1, 1, 50, 25, 3)' in lines[0] and '(2, 2, 100, 25, 3)' in lines[1]
    # the file alone, in ONNX Runtime, ranks a sample as the PyTorch model does
    model = init_recognizer(None, trained)
    x = torch.randn(1, 2, 64, 25, 3, generator=torch.Generator().manual_seed(0))
    [got] = onnx_session(out).run(['scores'], {'skeleton': x.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(got), model(x, mode='tensor'), atol=1e-4, rtol=0)


def test_cli_user_errors(tmp_path):
    text = run(
        [sys.executable, '-m', 'pyskl', 'export', str(tmp_path / 'missing.pth'), '--out', str(tmp_path / 'm.onnx')],
        ok=False,
    )
    assert 'error: checkpoint not found' in text and 'missing.pth' in text
    torch.save({'state_dict': {}}, tmp_path / 'bare.pth')
    text = run(
        [
            sys.executable,
            '-m',
            'pyskl',
            'export',
            str(tmp_path / 'bare.pth'),
            '--out',
            str(tmp_path / 'm.onnx'),
            '--shapes',
            '1,2',
        ],
        ok=False,
    )
    assert 'error: a shape is N,M,T' in text
    text = run(
        [sys.executable, '-m', 'pyskl', 'export', str(tmp_path / 'bare.pth'), '--out', str(tmp_path / 'm.onnx')],
        ok=False,
    )
    assert 'error:' in text and 'stores no pyskl config' in text
    # a careless --out: not an ONNX name (e.g. the checkpoint's own), and the checkpoint left as it was
    before = (tmp_path / 'bare.pth').read_bytes()
    for out, message in [('bare.pth', 'must end in .onnx'), ('model.ONNX.txt', 'must end in .onnx')]:
        text = run(
            [sys.executable, '-m', 'pyskl', 'export', str(tmp_path / 'bare.pth'), '--out', str(tmp_path / out)],
            ok=False,
        )
        assert f'error: --out {tmp_path / out}' in text and message in text
    (tmp_path / 'same.onnx').write_bytes(before)
    text = run(
        [sys.executable, '-m', 'pyskl', 'export', str(tmp_path / 'same.onnx'), '--out', str(tmp_path / 'same.onnx')],
        ok=False,
    )
    assert 'is the checkpoint itself' in text
    assert (tmp_path / 'bare.pth').read_bytes() == before == (tmp_path / 'same.onnx').read_bytes()

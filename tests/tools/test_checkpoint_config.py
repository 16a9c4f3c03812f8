"""Checkpoints carry their resolved config as data (and the class names): testing and inference need no config
file, a config that disagrees with the checkpoint is refused, and a forged stored config is never run."""

import os
import re
import subprocess

import numpy as np
import pytest
import torch

from pyskl.apis import inference_recognizer, init_recognizer
from pyskl.apis.inference import load_config_for_checkpoint
from pyskl.core.config_data import config_from_data

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def sample_3d():
    from pyskl.datasets.synthetic import make_demo_data

    ann = make_demo_data(num_subjects=2, samples_per_class_per_subject=1, seed=0)['annotations'][0]
    return {k: v for k, v in ann.items() if k != 'label'}


@pytest.fixture(scope='module')
def trained(demo_ann, tmp_path_factory, th):
    """One epoch of the tiny ST-GCN++ joint model, with the NTU-60 label map."""
    root = tmp_path_factory.mktemp('ckcfg')
    work = str(root / 'work')
    label_map = os.path.join(th.REPO, 'tools', 'data', 'label_map', 'nturgbd_60.txt')
    th.run(
        th.python_tool('train.py')
        + [th.CONFIG, '--work-dir', work, '--seed', '0', '--cfg-options', f'label_map={label_map}']
        + th.small_cfg_options(demo_ann, 1),
        cwd=str(root),
    )
    return dict(root=str(root), ckpt=os.path.join(work, 'epoch_1.pth'), label_map=label_map)


def test_checkpoint_stores_config_as_data_and_class_names(trained):
    meta = torch.load(trained['ckpt'], weights_only=True)['meta']
    stored = meta['pyskl_config']
    assert stored['feats'] == ['j'] and stored['model']['backbone']['base_channels'] == 6
    assert stored['model']['cls_head']['num_classes'] == 60
    with open(trained['label_map']) as f:
        assert meta['classes'] == f.read().split('\n')[:60]


def test_init_and_inference_from_the_checkpoint_alone(trained, sample_3d):
    model = init_recognizer(None, trained['ckpt'])
    assert model.cfg.feats == ['j'] and model.cfg.model.backbone.base_channels == 6
    assert model.classes[0] == 'drink water'
    top = inference_recognizer(model, sample_3d, topk=3)
    assert len(top) == 3 and all(p.name == model.classes[p.label] for p in top)
    # a raw (M, T, V, C) array gives the same answer as the annotation dict
    assert inference_recognizer(model, sample_3d['keypoint'], topk=3) == top


def test_inference_validates_its_input(trained, sample_3d):
    model = init_recognizer(None, trained['ckpt'])
    kp = sample_3d['keypoint']
    bad = {
        '17 joints': kp[:, :, :17],
        'NaN': np.where(np.arange(25) == 3, np.nan, 0)[None, None, :, None] + kp,
        'a vector': kp[0, 0, 0],
    }
    for what, array in bad.items():
        with pytest.raises(ValueError):
            inference_recognizer(model, array)
    with pytest.raises(ValueError, match='V=17 joints'):
        inference_recognizer(model, dict(keypoint=kp[:, :, :17]))


def test_test_tool_needs_no_config(trained, th):
    out = th.run(th.python_tool('test.py') + [trained['ckpt'], '--eval', 'top_k_accuracy'], cwd=trained['root'])
    assert 'Top-1:' in out and 'Top-5:' in out


def test_another_modality_config_is_refused_unless_forced(trained, demo_ann, th):
    b_config = th.CONFIG.replace('j.py', 'b.py')
    cmd = (
        th.python_tool('test.py')
        + [b_config, trained['ckpt'], '--eval', 'top_k_accuracy', '--cfg-options']
        + th.small_cfg_options(demo_ann)
    )
    proc = subprocess.run(cmd, cwd=trained['root'], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "feats: checkpoint ['j'], config ['b']" in proc.stderr and 'epoch_1.pth' in proc.stderr
    assert 'Top-1' not in proc.stdout
    assert 'Top-1:' in th.run(cmd + ['--force'], cwd=trained['root'])


@pytest.mark.parametrize(
    'forge, message',
    [
        (lambda c: c.update(custom_imports=dict(imports=['os'])), 'custom_imports'),
        (lambda c: c['model'].update(type='os.system'), "type = 'os.system'"),
        (lambda c: c['model'].update(_scope_='os'), '_scope_'),
        (lambda c: c.update(default_scope='mmdet'), 'default_scope'),
        # keys that mmengine would write unescaped into the config it dumps next to a test run: code on the next load
        (lambda c: c.update(notes={"x': __import__('os').system('touch PWNED'), 'y": 1}), 'quotes and backslashes'),
        (lambda c: c.update({"import os; os.system('touch PWNED'); x": 1}), 'a top-level key must be a Python name'),
        (lambda c: c['model'].update({'a\\': 1}), 'quotes and backslashes'),
        # components that write where the file says, or crash: only pyskl's own and mmengine's plain ones run
        (
            lambda c: c.update(test_evaluator=[dict(type='DumpResults', out_file_path='victim.pkl')]),
            "test_evaluator[0].out_file_path = 'victim.pkl': an output location",
        ),
        (lambda c: c.update(custom_hooks=[dict(type='ProfilerHook')]), "custom_hooks[0].type = 'ProfilerHook'"),
        (lambda c: c['visualizer'].update(vis_backends=[dict(type='WandbVisBackend')]), 'WandbVisBackend'),
        (lambda c: c['default_hooks']['logger'].update(out_dir='/tmp'), 'default_hooks.logger.out_dir'),
    ],
)
def test_forged_stored_configs_are_refused(trained, tmp_path, forge, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_config_for_checkpoint(None, _forged(trained, tmp_path, forge))


def _forged(trained, tmp_path, forge) -> str:
    """A copy of the trained checkpoint whose stored config ``forge`` changed in place."""
    ckpt = torch.load(trained['ckpt'], weights_only=True)
    forge(ckpt['meta']['pyskl_config'])
    path = str(tmp_path / 'forged.pth')
    torch.save(ckpt, path)
    return path


def test_config_data_refuses_non_data():
    with pytest.raises(ValueError, match='not a dict'):
        config_from_data(['model'])
    with pytest.raises(ValueError, match='holds a set'):
        config_from_data(dict(model=dict(type='RecognizerGCN', x={1, 2})))


def test_config_data_with_shared_parts():
    # a config may share a part (one pipeline list for val and test): checked once, admitted; parts nested in each
    # other so that the expanded config has millions of entries are refused at once (the walk used to expand them)
    pipeline = [dict(type='PoseDecode'), dict(type='FormatGCNInput', num_person=2)]
    cfg = config_from_data(dict(model=dict(type='RecognizerGCN'), val_pipeline=pipeline, test_pipeline=pipeline))
    assert cfg.test_pipeline == cfg.val_pipeline
    x = [0]
    for _ in range(60):
        x = [x, x]
    with pytest.raises(ValueError, match=r'expands to more than 1000000 entries at config\.model\.backbone\.foo'):
        config_from_data(dict(model=dict(type='RecognizerGCN', backbone=dict(type='STGCN', foo=x))))


def test_every_shipped_config_may_run_from_a_checkpoint():
    # the stored-config checks admit what pyskl's own configs store (every leaf: the types and keys they use)
    import glob

    from pyskl.core.config import load_config
    from pyskl.core.config_data import config_to_data
    from pyskl.engine.checkpoint.stored_types import check_stored_types
    from repo_paths import REPO

    leaves = [p for p in glob.glob(os.path.join(REPO, 'configs', '**', '*.py'), recursive=True) if '_base_' not in p]
    assert len(leaves) > 100
    for path in leaves:
        data = config_to_data(load_config(path))
        config_from_data(data, path)
        check_stored_types(data, path)


@pytest.mark.parametrize(
    'forge, message',
    [
        (lambda c: c['model']['backbone'].update(foo=1), 'model.backbone (STGCN): STGCN.__init__() got an unexpected'),
        (lambda c: c.update(model=[1]), '(its stored config): model must be a dict, got list'),
        (lambda c: c.update(test_dataloader='x'), '(its stored config): test_dataloader must be a dict, got str'),
        (lambda c: c.update(test_pipeline=[1]), 'test_pipeline must be a list of dict(type=...) transforms'),
    ],
)
def test_stored_configs_of_the_wrong_shape_are_errors(trained, tmp_path, forge, message):
    # plain data that passes the safety checks but cannot build: a TypeError / AttributeError traceback before
    with pytest.raises(ValueError, match=re.escape(message)):
        init_recognizer(None, _forged(trained, tmp_path, forge))

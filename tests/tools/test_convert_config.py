"""``pyskl convert-config``: PYSKL (mmcv 1.x) configs rewritten as pyskl configs that mean the same experiment, and
the tools' one-line refusal of an unconverted PYSKL config."""

import os
import subprocess
import sys
import textwrap

import pytest
from mmengine.config import Config

from pyskl.cli.main import main
from pyskl.core.config import load_config
from pyskl.core.legacy_config import RUNTIME, convert_legacy_config, is_legacy_config
from repo_paths import CONFIG_DIR, REPO

# PYSKL's configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py, as PYSKL's repository has it
PYSKL_STGCNPP_J = """
model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN',
        gcn_adaptive='init',
        gcn_with_res=True,
        tcn_type='mstcn',
        graph_cfg=dict(layout='nturgb+d', mode='spatial')),
    cls_head=dict(type='GCNHead', num_classes=60, in_channels=256))

dataset_type = 'PoseDataset'
ann_file = 'data/nturgbd/ntu60_3danno.pkl'
train_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSample', clip_len=100),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])
]
val_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSample', clip_len=100, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])
]
test_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSample', clip_len=100, num_clips=10),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='Collect', keys=['keypoint', 'label'], meta_keys=[]),
    dict(type='ToTensor', keys=['keypoint'])
]
data = dict(
    videos_per_gpu=16,
    workers_per_gpu=2,
    test_dataloader=dict(videos_per_gpu=1),
    train=dict(
        type='RepeatDataset',
        times=5,
        dataset=dict(type=dataset_type, ann_file=ann_file, pipeline=train_pipeline, split='xsub_train')),
    val=dict(type=dataset_type, ann_file=ann_file, pipeline=val_pipeline, split='xsub_val'),
    test=dict(type=dataset_type, ann_file=ann_file, pipeline=test_pipeline, split='xsub_val'))

# optimizer
optimizer = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0005, nesterov=True)
optimizer_config = dict(grad_clip=None)
# learning policy
lr_config = dict(policy='CosineAnnealing', min_lr=0, by_epoch=False)
total_epochs = 16
checkpoint_config = dict(interval=1)
evaluation = dict(interval=1, metrics=['top_k_accuracy'])
log_config = dict(interval=100, hooks=[dict(type='TextLoggerHook')])

# runtime settings
log_level = 'INFO'
work_dir = './work_dirs/stgcn++/stgcn++_pyskl_ntu60_xsub_3dkp/j'
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def convert(tmp_path, text, name='old.py'):
    old = write(tmp_path, name, text)
    new = str(tmp_path / 'new.py')
    assert main(['convert-config', old, new]) == 0
    return new


def _pipeline(steps):
    """The steps with PYSKL's sampler name written as pyskl's (the same transform, registered under both)."""
    rename = {'UniformSample': 'UniformSampleFrames'}
    return [dict(s, type=rename.get(s['type'], s['type'])) for s in steps]


def _dataset(loader):
    ds = loader['dataset']
    inner = ds.get('dataset', ds)
    return dict(
        batch_size=loader['batch_size'],
        num_workers=loader['num_workers'],
        sampler=loader['sampler']['type'],
        times=ds.get('times'),
        ann_file=inner['ann_file'],
        split=inner['split'],
        test_mode=inner.get('test_mode', False),
        pipeline=_pipeline(inner['pipeline']),
    )


def test_pyskl_stgcnpp_config_converts_to_the_zoo_config(tmp_path):
    """PYSKL's own ST-GCN++ NTU60-XSub joint config becomes the experiment of pyskl's zoo config of that cell: the
    same model (parameter names and shapes), pipelines, loaders, optimizer, schedule and training length."""
    import torch

    from pyskl.apis import init_recognizer

    new = load_config(convert(tmp_path, PYSKL_STGCNPP_J))
    zoo = load_config(os.path.join(CONFIG_DIR, 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', 'j.py'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert _dataset(new[loader]) == _dataset(zoo[loader]), loader
    for key in ('train_cfg', 'val_cfg', 'test_cfg', 'val_evaluator', 'test_evaluator', 'default_hooks'):
        assert new[key] == zoo[key], key
    assert new.optim_wrapper == zoo.optim_wrapper and new.param_scheduler == zoo.param_scheduler
    assert new.work_dir == './work_dirs/stgcn++/stgcn++_pyskl_ntu60_xsub_3dkp/j'
    a, b = init_recognizer(new, device='cpu'), init_recognizer(zoo, device='cpu')
    assert {k: v.shape for k, v in a.state_dict().items()} == {k: v.shape for k, v in b.state_dict().items()}
    a.load_state_dict(b.state_dict())
    a.eval(), b.eval()
    x = torch.randn(1, 2, 20, 25, 3)
    with torch.no_grad():
        assert torch.equal(a.backbone(x), b.backbone(x))


def test_runtime_is_that_of_the_configs():
    base = Config.fromfile(os.path.join(CONFIG_DIR, '_base_', 'default_runtime.py')).to_dict()
    assert {k: base[k] for k in RUNTIME} == RUNTIME


def test_unconverted_pyskl_config_is_one_error_line_naming_the_command(tmp_path):
    # mmengine built it with defaults and failed inside the runner ('set_randomness() missing ... seed')
    old = write(tmp_path, 'j.py', PYSKL_STGCNPP_J)
    proc = subprocess.run(
        [sys.executable, '-m', 'pyskl', 'train', old], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    assert 'a PYSKL (mmcv 1.x) config' in proc.stderr and f'pyskl convert-config {old} NEW.py' in proc.stderr
    assert not is_legacy_config(load_config(os.path.join(CONFIG_DIR, 'stgcn', 'stgcn_pyskl_ntu60_xsub_3dkp', 'j.py')))


def test_schedules_notes_and_what_cannot_be_converted(tmp_path, capsys):
    old = Config.fromstring(PYSKL_STGCNPP_J, '.py').to_dict()
    old['lr_config'] = dict(
        policy='step', step=[10, 14], gamma=0.1, warmup='linear', warmup_iters=500, warmup_ratio=0.01
    )
    old['optimizer_config'] = dict(grad_clip=dict(max_norm=40, norm_type=2))
    old['data']['train']['dataset']['class_prob'] = {0: 2.0}
    old['dist_params'] = dict(backend='nccl')
    old['workflow'] = [('train', 1)]
    old['resume_from'] = 'work_dirs/x/epoch_3.pth'
    new, notes = convert_legacy_config(old, 'old.py')
    assert new['param_scheduler'] == [
        dict(type='LinearLR', start_factor=0.01, begin=0, end=500, by_epoch=False),
        dict(type='MultiStepLR', milestones=[10, 14], gamma=0.1, by_epoch=True),
    ]
    assert new['optim_wrapper']['clip_grad'] == dict(max_norm=40, norm_type=2)
    assert new['load_from'] == 'work_dirs/x/epoch_3.pth' and new['resume'] is True
    assert 'data.train.dataset.class_prob left out (pyskl has no such dataset argument)' in notes
    assert 'dist_params left out (no counterpart in pyskl)' in notes
    assert 'workflow left out (no counterpart in pyskl)' in notes
    no_epochs = {k: v for k, v in old.items() if k != 'total_epochs'}
    for bad, message in [
        ({**old, 'lr_config': dict(policy='poly', power=0.9)}, r"lr_config\.policy='poly' is not converted"),
        ({**old, 'model': dict(type='Recognizer3D')}, r"model\.type='Recognizer3D'.*PoseC3D"),
        (no_epochs, 'total_epochs is missing'),
    ]:
        with pytest.raises(ValueError, match=message):
            convert_legacy_config(bad, 'old.py')
    # an unknown transform is found before anything is written
    text = PYSKL_STGCNPP_J.replace("dict(type='PoseDecode'),", "dict(type='PoseDecode'), dict(type='MyAug'),", 1)
    old_path, new_path = write(tmp_path, 'aug.py', text), str(tmp_path / 'aug_new.py')
    assert main(['convert-config', old_path, new_path]) == 1
    assert 'pipeline[4] (MyAug)' in capsys.readouterr().err and not os.path.exists(new_path)
    # not a PYSKL config; an existing output
    zoo = os.path.join(CONFIG_DIR, 'stgcn', 'stgcn_pyskl_ntu60_xsub_3dkp', 'j.py')
    assert main(['convert-config', zoo, new_path]) == 1
    assert 'not a PYSKL (mmcv 1.x) config' in capsys.readouterr().err
    existing = write(tmp_path, 'exists.py', '# mine\n')
    assert main(['convert-config', write(tmp_path, 'j.py', PYSKL_STGCNPP_J), existing]) == 1
    assert 'exists; pass --overwrite' in capsys.readouterr().err


@pytest.mark.slow
def test_converted_config_trains_and_validates(tmp_path, demo_ann):
    text = PYSKL_STGCNPP_J.replace("'data/nturgbd/ntu60_3danno.pkl'", repr(str(demo_ann)))
    new = convert(tmp_path, text)
    options = [
        'model.backbone.base_channels=8',
        'model.cls_head.in_channels=32',
        'model.cls_head.num_classes=10',
        'train_dataloader.dataset.times=1',
        'train_cfg.max_epochs=1',
        'train_dataloader.batch_size=8',
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-m', 'pyskl', 'train', new, '--work-dir', str(tmp_path / 'w'), '--cfg-options', *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()
    assert 'Epoch(val) [1]' in proc.stdout + proc.stderr

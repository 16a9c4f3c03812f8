"""Config handling of tools/train.py and tools/test.py (no training)."""

import os

import pytest
import torch

from pyskl.apis import default_work_dir, setup_test_cfg, setup_train_cfg
from repo_paths import REPO

CONFIG = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', 'j.py')


def test_default_work_dir():
    assert default_work_dir(CONFIG) == os.path.join('work_dirs', 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', 'j')
    assert default_work_dir('configs/stgcn/x/b.py') == os.path.join('work_dirs', 'stgcn', 'x', 'b')
    assert default_work_dir('/tmp/elsewhere/my_cfg.py') == os.path.join('work_dirs', 'my_cfg')


def test_train_cfg_options():
    cfg = setup_train_cfg(
        CONFIG,
        amp=True,
        seed=5,
        deterministic=True,
        auto_scale_lr=True,
        launcher='pytorch',
        validate=False,
        cfg_options={'train_dataloader.batch_size': 2},
    )
    assert cfg.work_dir == default_work_dir(CONFIG)
    assert cfg.randomness.seed == 5 and cfg.randomness.deterministic is True
    assert cfg.auto_scale_lr.enable is True
    assert cfg.launcher == 'pytorch'
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.val_evaluator is None
    assert cfg.train_dataloader.batch_size == 2
    expected = 'AmpOptimWrapper' if torch.cuda.is_available() else 'CPUBF16OptimWrapper'
    assert cfg.optim_wrapper.type == expected
    assert cfg.runner_type == 'PysklRunner'
    assert {'type': 'WeightsOnlyCheckpointHook'} in cfg.custom_hooks


def test_train_cfg_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        setup_train_cfg(CONFIG, resume=str(tmp_path / 'nope.pth'))
    with pytest.raises(ValueError, match='--test-best'):
        setup_train_cfg(CONFIG, validate=False, test_best=True)
    afile = tmp_path / 'afile'
    afile.write_text('')
    with pytest.raises(ValueError, match=r'work_dir .*afile is a file, not a directory'):
        setup_train_cfg(CONFIG, work_dir=str(afile))


def test_resume_takes_seed_from_checkpoint(tmp_path):
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save(dict(meta=dict(seed=1234, epoch=1, iter=5), state_dict={'w': torch.zeros(1)}), ckpt)
    cfg = setup_train_cfg(CONFIG, resume=str(ckpt), work_dir=str(tmp_path))
    assert cfg.resume is True and cfg.load_from == str(ckpt) and cfg.randomness.seed == 1234
    # an explicit --seed wins
    assert setup_train_cfg(CONFIG, resume=str(ckpt), seed=7).randomness.seed == 7
    # auto: the work dir's last_checkpoint (named explicitly, so that the seed and the weights come from one file)
    (tmp_path / 'last_checkpoint').write_text(str(ckpt))
    cfg = setup_train_cfg(CONFIG, resume='auto', work_dir=str(tmp_path))
    assert cfg.resume is True and cfg.load_from == str(ckpt) and cfg.randomness.seed == 1234


def test_test_cfg_options(tmp_path):
    cfg = setup_test_cfg(
        CONFIG, out=str(tmp_path / 'r.pkl'), dump=str(tmp_path / 'd.pkl'), eval=['top_k_accuracy'], average_clips='none'
    )
    assert cfg.model.cls_head.average_clips is None
    assert cfg.test_evaluator == [
        dict(type='AccMetric', metric_list=('top_k_accuracy',)),
        dict(type='DumpResults', out_file_path=str(tmp_path / 'r.pkl'), fmt='pyskl'),
        dict(type='DumpResults', out_file_path=str(tmp_path / 'd.pkl'), fmt='mmaction'),
    ]
    cfg = setup_test_cfg(CONFIG)
    assert cfg.test_evaluator == [dict(type='AccMetric')]
    with pytest.raises(ValueError, match='nothing to do'):
        setup_test_cfg(CONFIG, eval=[])
    with pytest.raises(ValueError, match='average_clips'):
        setup_test_cfg(CONFIG, average_clips='max')


def test_dist_scripts_are_executable():
    for name in ('dist_train.sh', 'dist_test.sh'):
        assert os.access(os.path.join(REPO, 'tools', name), os.X_OK)

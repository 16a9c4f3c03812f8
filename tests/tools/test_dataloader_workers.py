"""``persistent_workers`` follows ``num_workers`` (issue 9, item 6): the zoo's dataloaders ask for
persistent workers, and ``--cfg-options train_dataloader.num_workers=0`` alone used to crash with
PyTorch's ``persistent_workers option needs num_workers > 0``."""

import glob
import os

import pytest


def test_train_with_num_workers_0_does_not_crash(demo_ann, tmp_path, th):
    """A real tools/train.py run that sets num_workers=0 and leaves persistent_workers=True
    (the base configs' value) alone, for all three dataloaders (--test-last builds the test one)."""
    opts = [o for o in th.small_cfg_options(demo_ann, max_epochs=1, test_clips=1) if 'persistent_workers' not in o]
    work_dir = tmp_path / 'wd'
    out = th.run(
        th.python_tool('train.py')
        + [th.CONFIG, '--work-dir', str(work_dir), '--seed', '0', '--test-last', '--cfg-options']
        + opts,
        cwd=str(tmp_path),
    )
    assert 'persistent_workers option needs num_workers > 0' not in out
    assert os.path.isfile(work_dir / 'epoch_1.pth')
    log = open(glob.glob(str(work_dir / '*' / '*.log'))[0]).read()
    assert 'Epoch(val) [1]' in log and 'Epoch(test)' in log


@pytest.mark.parametrize(
    'workers, persistent, expected',
    [(0, True, False), (0, False, False), (2, True, True), (2, False, False), (None, True, False)],
)
def test_build_dataloader_persistent_follows_workers(demo_ann, workers, persistent, expected):
    from pyskl.engine.runner import PysklRunner
    from pyskl.registry import register_all_modules

    register_all_modules()
    cfg = dict(
        batch_size=2,
        persistent_workers=persistent,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='PoseDataset', ann_file=demo_ann, split='xsub_val', pipeline=[]),
    )
    if workers is not None:
        cfg['num_workers'] = workers
    original = dict(cfg)
    loader = PysklRunner.build_dataloader(cfg, seed=0)
    assert loader.persistent_workers is expected
    assert loader.num_workers == (workers or 0)
    assert cfg == original  # the config is not modified in place

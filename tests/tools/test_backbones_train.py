"""Every backbone trains through tools/dist_train.sh: 2 processes (DDP on gloo) with
find_unused_parameters=False, so a parameter without a gradient would fail the run, and the loss falls."""

import glob
import json
import os

import pytest

pytestmark = pytest.mark.slow

CONFIGS = {
    'stgcn': 'configs/stgcn/stgcn_pyskl_ntu60_xsub_3dkp/j.py',
    'stgcn++': 'configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py',
    'aagcn': 'configs/aagcn/aagcn_pyskl_ntu60_xsub_3dkp/j.py',
    'msg3d': 'configs/msg3d/msg3d_pyskl_ntu60_xsub_3dkp/j.py',
    'dgstgcn': 'configs/dgstgcn/ntu60_xsub_3dkp/j.py',
    'ctrgcn': 'configs/ctrgcn/ctrgcn_pyskl_ntu60_xsub_3dkp/j.py',
    'protogcn': 'configs/protogcn/ntu60_xsub_3dkp/j.py',
}
SAMPLERS = ('UniformSampleFrames', 'UniformSample', 'UniformSampleDecode')


def small_config(repo, config, ann_file, out_path):
    """The real config with its data and schedule shrunk: 16-frame clips, batch 4, 10 classes."""
    from pyskl.core.config import load_config

    # the top-level facts reach the model, every dataset and every sampler
    cfg = load_config(os.path.join(repo, config), dict(num_classes=10, ann_file=ann_file, clip_len=16))
    for name in ('train', 'val', 'test'):
        loader = cfg[f'{name}_dataloader']
        loader.update(batch_size=4, num_workers=0, persistent_workers=False)
        dataset = loader.dataset
        if dataset.type == 'RepeatDataset':
            dataset.times = 4
            dataset = dataset.dataset
        for t in dataset.pipeline:
            if t['type'] in SAMPLERS:
                t.update(num_clips=1)
    cfg.train_cfg.update(max_epochs=2, val_interval=2)  # the schedule follows max_epochs
    cfg.optim_wrapper.optimizer.lr = 0.01
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor.window_size = 1  # log each iteration's own loss, not a running mean
    cfg.default_hooks.checkpoint.update(interval=2, save_best=None)
    cfg.find_unused_parameters = False
    cfg.dump(out_path)
    return out_path


@pytest.mark.parametrize('name', list(CONFIGS))
def test_backbone_trains_with_ddp(name, demo_ann, tmp_path, th):
    cfg = small_config(th.REPO, CONFIGS[name], demo_ann, str(tmp_path / f'{name}.py'))
    work_dir = tmp_path / 'wd'
    th.run(
        ['bash', os.path.join(th.REPO, 'tools', 'dist_train.sh'), cfg, '2', '--work-dir', str(work_dir), '--seed', '0'],
        cwd=str(tmp_path),
        PORT=str(th.free_port()),
        CUDA_VISIBLE_DEVICES='',
        timeout=900,
    )
    log = open(glob.glob(str(work_dir / '*' / '*.log'))[0]).read()
    assert 'world_size=2' in log
    scalars = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))[0]
    losses = [json.loads(line)['loss'] for line in open(scalars) if '"loss"' in line]
    # 20 training samples x 4 repeats / 2 ranks / batch 4 = 10 iterations per epoch, 2 epochs
    assert len(losses) == 20
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first, f'{name}: loss did not fall: {losses}'
    assert os.path.isfile(work_dir / 'epoch_2.pth')

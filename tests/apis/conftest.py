"""A tiny ST-GCN++ trained on the synthetic demo data, once per session (tools/train.py as a real subprocess)."""

import os
import subprocess
import sys

import pytest
from repo_paths import REPO

DEMO_CONFIG = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_demo_3dkp', 'j.py')


@pytest.fixture(scope='session')
def demo_trained(tmp_path_factory):
    """10 epochs of the demo config at width 8 (about a minute on 2 cores) on 4 subjects x 3 samples per class.

    Returns dict(ckpt, ann_file, data (the annotation dict), root, config)."""
    from pyskl.core.io import safe_load_pickle
    from pyskl.datasets.synthetic import make_demo_dataset

    root = tmp_path_factory.mktemp('predict_demo')
    ann = str(root / 'demo_3danno.pkl')
    make_demo_dataset(ann, num_subjects=4, samples_per_class_per_subject=3, seed=0)
    work = str(root / 'work')
    opts = [
        f'ann_file={ann}',
        f'label_map={os.path.join(REPO, "tools", "data", "label_map", "demo.txt")}',
        'model.backbone.base_channels=8',
        'model.cls_head.in_channels=32',
        'train_cfg.max_epochs=10',
        'default_hooks.logger.interval=50',
    ]
    for loader in ('train', 'val', 'test'):
        opts += [f'{loader}_dataloader.num_workers=0', f'{loader}_dataloader.persistent_workers=False']
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT'):
        env.pop(key, None)
    proc = subprocess.run(
        [
            sys.executable,
            os.path.join(REPO, 'tools', 'train.py'),
            DEMO_CONFIG,
            '--work-dir',
            work,
            '--seed',
            '0',
            '--cfg-options',
        ]
        + opts,
        cwd=str(root),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-6000:]
    return dict(
        ckpt=os.path.join(work, 'epoch_10.pth'),
        ann_file=ann,
        data=safe_load_pickle(ann),
        root=str(root),
        config=DEMO_CONFIG,
    )


@pytest.fixture(scope='session')
def demo_model(demo_trained):
    from pyskl.apis import init_recognizer

    return init_recognizer(None, demo_trained['ckpt'])

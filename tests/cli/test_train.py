"""``torchrun -m pyskl train`` (the installed command under torchrun, no tools/ script): 2 CPU processes, gloo."""

import glob
import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_torchrun_launches_the_module(tmp_path, repo_root):
    from pyskl.datasets.synthetic import make_demo_dataset

    ann = str(tmp_path / 'demo.pkl')
    make_demo_dataset(ann, num_subjects=3, samples_per_class_per_subject=1, seed=0)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    opts = [
        f'ann_file={ann}',
        'train_cfg.max_epochs=1',
        'model.backbone.base_channels=6',
        'model.cls_head.in_channels=24',
        'clip_len=16',
        'train_dataloader.dataset.times=1',
    ]
    for loader in ('train', 'val', 'test'):
        opts += [
            f'{loader}_dataloader.batch_size=4',
            f'{loader}_dataloader.num_workers=0',
            f'{loader}_dataloader.persistent_workers=False',
        ]
    env = {k: v for k, v in os.environ.items() if k not in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_PORT')}
    env.update(OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='')
    work_dir = tmp_path / 'wd'
    cmd = [
        sys.executable,
        '-m',
        'torch.distributed.run',
        '--nproc_per_node=2',
        f'--master_port={port}',
        '-m',
        'pyskl',
        'train',
        os.path.join(repo_root, 'configs', 'stgcn++', 'stgcn++_demo_3dkp', 'j.py'),
        '--work-dir',
        str(work_dir),
        '--launcher',
        'pytorch',
        '--no-validate',
        '--cfg-options',
    ] + opts
    proc = subprocess.run(
        cmd, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-6000:]
    log = open(glob.glob(str(work_dir / '*' / '*.log'))[0]).read()
    assert f'world_size=2, master=127.0.0.1:{port}' in log
    assert (work_dir / 'epoch_1.pth').is_file()

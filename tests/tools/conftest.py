"""Helpers for the tool tests: a tiny synthetic NTU-format annotation and a shrunken
ST-GCN++ config (through --cfg-options), run as real subprocesses."""

import os
import socket
import subprocess
import sys

import pytest
from repo_paths import REPO

CONFIG = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', 'j.py')


@pytest.fixture(scope='session')
def demo_ann(tmp_path_factory):
    """Synthetic NTU-format annotation: 3 subjects x 10 classes; xsub_train 20, xsub_val 10."""
    from pyskl.datasets.synthetic import make_demo_dataset

    path = str(tmp_path_factory.mktemp('demo_data') / 'demo_3danno.pkl')
    make_demo_dataset(path, num_subjects=3, samples_per_class_per_subject=1, seed=0)
    return path


def small_cfg_options(ann_file, max_epochs=2, test_clips=2):
    """--cfg-options that shrink the real config: tiny model, 16-frame clips, batch 4,
    no workers, one repeat, per-iteration logging. The annotation file and the clip length are
    top-level facts (every dataset / sampler follows them); ``max_epochs=None`` keeps the config's."""
    opts = [
        'model.backbone.base_channels=6',
        'model.cls_head.in_channels=24',
        f'ann_file={ann_file}',
        'clip_len=16',
        'default_hooks.logger.interval=1',
        'train_dataloader.dataset.times=1',
    ]
    if max_epochs is not None:
        opts.append(f'train_cfg.max_epochs={max_epochs}')
    for loader in ('train', 'val', 'test'):
        opts += [
            f'{loader}_dataloader.batch_size=4',
            f'{loader}_dataloader.num_workers=0',
            f'{loader}_dataloader.persistent_workers=False',
        ]
    opts.append(f'test_dataloader.dataset.pipeline.2.num_clips={test_clips}')
    return opts


def tool_env(**extra):
    env = dict(os.environ)
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT', 'PYTHON'):
        env.pop(key, None)
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', **extra)
    return env


def run(cmd, cwd, timeout=600, **env):
    """Run ``cmd``; fail with its output when it exits non-zero."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=tool_env(**env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f'{" ".join(map(str, cmd))}\nexit {proc.returncode}\n{proc.stdout[-6000:]}'
    return proc.stdout


def python_tool(name):
    return [sys.executable, os.path.join(REPO, 'tools', name)]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='session')
def th():
    """The helpers above (pytest's importlib mode cannot import conftest from tests)."""
    import types

    return types.SimpleNamespace(
        CONFIG=CONFIG,
        REPO=REPO,
        run=run,
        python_tool=python_tool,
        small_cfg_options=small_cfg_options,
        free_port=free_port,
    )

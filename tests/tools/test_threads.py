"""The CPU thread count is a setting of the run: logged, and with the same seed and count a run is reproduced
exactly (the thread count changes how reductions are split, so it must not be an accident of the machine)."""

import os

import pytest
import torch

pytestmark = pytest.mark.slow


def test_same_seed_and_threads_reproduce_the_run(demo_ann, tmp_path, th):
    outs = []
    for run in ('a', 'b'):
        outs.append(
            th.run(
                th.python_tool('train.py')
                + [
                    th.CONFIG,
                    '--work-dir',
                    str(tmp_path / run),
                    '--seed',
                    '1',
                    '--no-validate',
                    '--cfg-options',
                    'env_cfg.num_threads=2',
                ]
                + th.small_cfg_options(demo_ann, 1),
                cwd=str(tmp_path),
            )
        )
    assert all('torch threads: 2 (env_cfg.num_threads)' in out for out in outs)
    assert all('allocator: ' in out for out in outs)  # the C allocator setting is logged too (pyskl.core.allocator)
    a, b = (torch.load(str(tmp_path / run / 'epoch_1.pth'), weights_only=True)['state_dict'] for run in 'ab')
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_default_threads_follow_omp_num_threads_or_the_cores():
    from pyskl.engine.dist import set_num_threads

    before = torch.get_num_threads()
    env = dict(os.environ)
    try:
        os.environ['OMP_NUM_THREADS'] = '1'
        assert set_num_threads() == f'torch threads: {torch.get_num_threads()} (OMP_NUM_THREADS=1)'
        del os.environ['OMP_NUM_THREADS']
        os.environ['LOCAL_WORLD_SIZE'] = '2'
        cores = len(os.sched_getaffinity(0))
        assert set_num_threads() == f'torch threads: {max(1, cores // 2)} ({cores} cores / 2 processes)'
        assert torch.get_num_threads() == max(1, cores // 2)
        for bad in (0, 10**6):  # a million OpenMP threads (e.g. from a checkpoint's stored env_cfg)
            with pytest.raises(ValueError, match='env_cfg.num_threads must be from 1 to 1024'):
                set_num_threads(bad)
    finally:
        os.environ.clear()
        os.environ.update(env)
        torch.set_num_threads(before)

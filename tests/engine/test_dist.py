"""init_dist_env on a CPU-only machine (real process groups in child processes)."""

import os
import socket
import subprocess
import sys

import pytest

from pyskl.engine import init_dist_env


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


CHILD = r"""
import os, torch, torch.distributed as dist
from pyskl.engine import init_dist_env
assert init_dist_env(os.environ['TEST_LAUNCHER'], backend='nccl', timeout=60) is True
assert init_dist_env(os.environ['TEST_LAUNCHER']) is True  # already initialised: no-op
t = torch.tensor([dist.get_rank() + 1.0])
dist.all_reduce(t)
print('OK', dist.get_backend(), dist.get_rank(), dist.get_world_size(), os.environ['LOCAL_RANK'], t.item())
dist.destroy_process_group()
"""


def _child_env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(('SLURM_', 'OMPI_'))
        and k not in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')
    }
    env.update(CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1', **extra)
    return env


@pytest.mark.skipif(__import__('torch').cuda.is_available(), reason='tests the CPU (gloo) path')
def test_slurm_launcher_gloo_two_processes():
    port = str(_free_port())
    procs = []
    for rank in range(2):
        env = _child_env(
            TEST_LAUNCHER='slurm',
            SLURM_PROCID=str(rank),
            SLURM_NTASKS='2',
            SLURM_LOCALID=str(rank),
            SLURM_NODELIST='node[1-2]',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=port,
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, '-c', CHILD], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    outs = [p.communicate(timeout=120)[0] for p in procs]
    for rank, (p, out) in enumerate(zip(procs, outs)):
        assert p.returncode == 0, out
        # gloo instead of the requested nccl; all_reduce of 1 + 2 = 3
        assert f'OK gloo {rank} 2 {rank} 3.0' in out, out


def test_launcher_errors():
    assert init_dist_env('none') is False
    with pytest.raises(ValueError, match='unknown launcher'):
        init_dist_env('horovod')


@pytest.mark.skipif(__import__('torch').cuda.is_available(), reason='tests the CPU (gloo) path')
def test_pytorch_launcher_without_torchrun_env_is_a_clear_error():
    code = (
        'from pyskl.engine import init_dist_env\n'
        'try:\n    init_dist_env("pytorch")\n'
        'except ValueError as e:\n    print("ERR", e)\n'
    )
    out = subprocess.run(
        [sys.executable, '-c', code], env=_child_env(), capture_output=True, text=True, timeout=120
    ).stdout
    assert 'ERR --launcher pytorch: environment variable(s) RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT' in out
    assert 'torchrun' in out


FINISH_CHILD = r"""
import gc, os, torch
from mmengine.model import MMDistributedDataParallel
from pyskl.engine import finish_dist, init_dist_env
gc.disable()  # whether an automatic collection happens to run before exit is luck; the run must not depend on it
assert init_dist_env('pytorch', timeout=60)
import torch._dynamo  # as DDP's constructor does, after the group exists
class Runner:  # holds the DDP model in a reference cycle, as mmengine's runner and its hooks do
    pass
runner = Runner()
runner.model, runner.me = MMDistributedDataParallel(torch.nn.Linear(4, 2)), runner
runner.model(torch.randn(3, 4)).sum().backward()
del runner  # the training function returned
finish_dist()
names = [open(f'/proc/self/task/{t}/comm').read().strip() for t in os.listdir('/proc/self/task')]
print('THREADS', sorted(names))
"""


@pytest.mark.skipif(not os.path.isdir('/proc/self/task'), reason="lists the process's threads in /proc")
def test_finish_dist_ends_the_gloo_threads_before_exit():
    """A DDP run's gloo threads (pt_gloo_runloop, gloo_tcp_loop) must be gone when finish_dist returns: left
    running into interpreter shutdown, one of them could abort the process ('terminate called without an active
    exception', signal 6) when a peer exits first, failing a finished torchrun job about once in 20 runs."""
    port = str(_free_port())
    procs = [
        subprocess.Popen(
            [sys.executable, '-c', FINISH_CHILD],
            env=_child_env(
                RANK=str(rank), WORLD_SIZE='2', LOCAL_RANK=str(rank), MASTER_ADDR='127.0.0.1', MASTER_PORT=port
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for rank in range(2)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    for p, out in zip(procs, outs):
        assert p.returncode == 0, out
        threads = [line for line in out.splitlines() if line.startswith('THREADS')]
        assert threads and 'gloo' not in threads[0], out

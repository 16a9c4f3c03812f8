"""Distributed initialisation that also works on machines without CUDA.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` (and its DDP wrapper passes
``device_ids=[LOCAL_RANK]``), which fails on CPU-only machines. :func:`init_dist_env`
initialises the default process group itself with the ``gloo`` backend when CUDA is
absent, before the Runner's ``setup_env`` (which skips its own initialisation when a
process group already exists). With CUDA it defers to mmengine (``nccl`` by default).
"""

import datetime
import gc
import os
import subprocess
from typing import Optional

import torch
import torch.distributed as torch_dist

# Imported before any process group exists, on purpose: the functions of torch.distributed.nn.functional take
# ``group=group.WORLD`` as a default argument, evaluated at import. Imported after init_process_group (DDP's
# constructor imports torch._dynamo, which imports it), they would hold the default group, and with it the gloo
# threads, for the life of the process (see finish_dist).
import torch.distributed.nn  # noqa: F401
from mmengine.dist import init_dist
from mmengine.logging import print_log

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def _require_env(names, launcher):
    missing = [n for n in names if n not in os.environ]
    if missing:
        hint = ' Start the job with torchrun / tools/dist_train.sh.' if launcher == 'pytorch' else ''
        raise ValueError(f'--launcher {launcher}: environment variable(s) {", ".join(missing)} not set.{hint}')


def _slurm_env(port: Optional[int] = None) -> None:
    """Derive torch.distributed's env:// variables from SLURM's (as mmengine does)."""
    _require_env(('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'), 'slurm')
    proc_id = int(os.environ['SLURM_PROCID'])
    ntasks = int(os.environ['SLURM_NTASKS'])
    local_id = os.environ.get('SLURM_LOCALID')
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ['SLURM_NODELIST']
        addr = subprocess.run(
            ['scontrol', 'show', 'hostname', node_list], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        os.environ['MASTER_ADDR'] = addr
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['RANK'] = str(proc_id)
    os.environ['LOCAL_RANK'] = str(local_id if local_id is not None else 0)


def _mpi_env(port: Optional[int] = None) -> None:
    _require_env(('OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE', 'MASTER_ADDR'), 'mpi')
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['LOCAL_RANK'] = os.environ.get('OMPI_COMM_WORLD_LOCAL_RANK', '0')


def init_dist_env(launcher: str, backend: Optional[str] = None, **kwargs) -> bool:
    """Initialise the default process group for ``launcher`` unless it already exists.

    Args:
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun), ``'slurm'`` or ``'mpi'``.
        backend (str, optional): backend to use with CUDA (default ``'nccl'``). Without
            CUDA the backend is always ``'gloo'`` (a log line says so when another was
            asked for).
        **kwargs: ``timeout`` (seconds), ``port`` (slurm / mpi) and other arguments of
            ``torch.distributed.init_process_group``.

    Returns:
        bool: whether the process runs distributed.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'unknown launcher "{launcher}"; choose one of {LAUNCHERS}')
    if launcher == 'none':
        return False
    if torch_dist.is_available() and torch_dist.is_initialized():
        return True
    if torch.cuda.is_available():
        init_dist(launcher, backend=backend or 'nccl', **kwargs)
        return True
    if backend not in (None, 'gloo'):
        print_log(f'CUDA is not available: using the gloo backend instead of "{backend}".', logger='current')
    port = kwargs.pop('port', None)
    if kwargs.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    if launcher == 'slurm':
        _slurm_env(port)
    elif launcher == 'mpi':
        _mpi_env(port)
    _require_env(('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'), launcher)
    os.environ.setdefault('LOCAL_RANK', '0')
    torch_dist.init_process_group(
        backend='gloo', rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']), **kwargs
    )
    return True


def set_num_threads(num_threads: Optional[int] = None) -> str:
    """Set torch's intra-op thread count deliberately, and say why (for the log).

    Results on a CPU depend on the thread count (reductions are split differently): the same seed gives identical
    weights for the same ``num_threads`` on the same machine, and different ones otherwise. So the count is a
    setting of the run, not an accident of the machine:

    - ``num_threads`` given (``env_cfg.num_threads``, ``tools/train.py --threads``): that many;
    - else ``OMP_NUM_THREADS`` set: torch's default, which follows it (torchrun sets it to 1 per process);
    - else the cores this process may use divided by the processes on this node (``LOCAL_WORLD_SIZE``), at least
      1, so that several processes never oversubscribe the cores (oversubscribed OpenMP threads spin).

    Returns:
        str: e.g. ``'torch threads: 2 (2 cores / 1 process)'``.
    """
    if num_threads is not None:
        num_threads, why = int(num_threads), 'env_cfg.num_threads'
        if not 1 <= num_threads <= 1024:  # each is an OpenMP thread: a million would exhaust the process
            raise ValueError(f'env_cfg.num_threads must be from 1 to 1024, got {num_threads}')
    elif os.environ.get('OMP_NUM_THREADS'):
        return f'torch threads: {torch.get_num_threads()} (OMP_NUM_THREADS={os.environ["OMP_NUM_THREADS"]})'
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)
        procs = max(1, int(os.environ.get('LOCAL_WORLD_SIZE', 1)))
        num_threads, why = max(1, cores // procs), f'{cores} cores / {procs} process{"es" if procs > 1 else ""}'
    torch.set_num_threads(num_threads)
    return f'torch threads: {num_threads} ({why})'


def finish_dist() -> None:
    """End a distributed run cleanly: wait for every rank (rank 0 may still be writing a checkpoint), destroy the
    default process group, then collect the garbage so that the group itself is freed now.

    ``destroy_process_group`` only forgets the group: DDP's reducer still holds it, and the runner that holds the
    DDP model lives in reference cycles that only the garbage collector frees. Until the group
    is freed its gloo threads (``pt_gloo_runloop``, ``gloo_tcp_loop``) keep running; left running into interpreter
    shutdown, one of them can abort the finished process ('terminate called without an active exception', signal
    6) when a peer rank exits first, failing the whole torchrun job. Call it after the runner is out of scope.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
        gc.collect()  # frees the runner's cycles: the DDP reducer, then the group; its destructor joins the threads

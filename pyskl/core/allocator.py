"""The C allocator setting of long CPU runs: freed memory is kept for reuse instead of being returned to the OS.

A training or test step allocates and frees the same large tensors (activations, gradients, tens to hundreds of
MB) every iteration. glibc's ``malloc`` serves blocks above its mmap threshold (128 KB, adapting up to 32 MB)
with a fresh ``mmap`` and returns them with ``munmap`` on ``free``; it also trims the top of its heap back to the
OS. So every step page-faults all its large tensors in again, and the kernel zeroes every page first. Measured on
the 2-core development VM (torch 2.13, batch (8, 2, 100, 25, 3), 2 threads): MS-G3D's eval forward took 886k minor
page faults per iteration (3.5 GB faulted in) and 1679 ms, 724 ms with this setting (0 faults); AAGCN eval 746 ->
424 ms; ST-GCN++ eval 286 -> 225 ms. Page faults cost more in a VM than on bare metal, but are never free.

:func:`tune_allocator` sets glibc's ``M_MMAP_MAX`` to 0 (no block is served by its own mmap) and
``M_TRIM_THRESHOLD`` to the maximum (the heap is never trimmed): what a step frees, the next step reuses, already
mapped, the way jemalloc / tcmalloc (PyTorch's CPU tuning guide) and CUDA's caching allocator behave. The cost is
that the process keeps its peak heap until it exits (the peak itself can grow by fragmentation; see
docs/benchmarks.md). The command-line tools that run models call it first; ``PYSKL_MALLOC=system`` keeps the
system's behaviour. Other C libraries (musl, macOS) are left alone.
"""

import ctypes
import os
import sys

__all__ = ['ENV_VAR', 'tune_allocator']

#: ``PYSKL_MALLOC=system``: leave the C allocator as the system configures it
ENV_VAR = 'PYSKL_MALLOC'

# glibc <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def _glibc():
    """The process's C library if it is glibc, else None."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        libc = ctypes.CDLL(None)
        version = libc.gnu_get_libc_version  # glibc only (musl has a mallopt that does nothing)
        libc.mallopt  # noqa: B018 - presence check
    except (OSError, AttributeError):
        return None
    version.restype = ctypes.c_char_p
    return libc


def tune_allocator() -> str:
    """Keep freed memory mapped for reuse (see the module docstring); returns a line for the log.

    Safe to call more than once and at any time (it affects later allocations). ``PYSKL_MALLOC=system`` in the
    environment makes it a no-op.

    Returns:
        str: e.g. ``'allocator: glibc 2.36, freed memory kept for reuse (PYSKL_MALLOC=system to disable)'``.
    """
    if os.environ.get(ENV_VAR, '').strip().lower() == 'system':
        return f'allocator: system default ({ENV_VAR}=system)'
    libc = _glibc()
    if libc is None:
        return 'allocator: system default (not glibc)'
    # value -1 is SIZE_MAX for glibc's size_t threshold: never trim
    ok = libc.mallopt(_M_MMAP_MAX, 0) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, -1) == 1
    version = libc.gnu_get_libc_version().decode()
    if not ok:
        return f'allocator: system default (glibc {version} refused mallopt)'
    return f'allocator: glibc {version}, freed memory kept for reuse ({ENV_VAR}=system to disable)'

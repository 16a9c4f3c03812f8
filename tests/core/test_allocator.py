"""The C allocator setting of the model-running tools (pyskl.core.allocator), measured on real processes: page
faults of a training-like loop that allocates and frees the same large tensor."""

import json
import os
import subprocess
import sys

import pytest

from pyskl.core.allocator import ENV_VAR, _glibc, tune_allocator

glibc_only = pytest.mark.skipif(_glibc() is None, reason='the setting is glibc-specific')

# a step that allocates, fills and frees a 64 MB and a 12 MB tensor (the first above glibc's largest adaptive mmap
# threshold, 32 MB), 16 times; report the minor page faults of the last 4 steps and the resident set after 12 / 16
LOOP = """
import json, resource
from pyskl.core.allocator import tune_allocator
note = tune_allocator()
import torch
faults, rss = [], []
for _ in range(16):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = torch.empty(16 * 2 ** 20).fill_(1.0)
    y = torch.empty(3 * 2 ** 20).fill_(1.0)
    del x, y
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    rss.append(int(open('/proc/self/statm').read().split()[1]))
print(json.dumps(dict(note=note, faults=sum(faults[-4:]), rss=[rss[11], rss[15]])))
"""


def _run_loop(**env) -> dict:
    full = dict(os.environ, **env)
    if ENV_VAR not in env:
        full.pop(ENV_VAR, None)
    proc = subprocess.run([sys.executable, '-c', LOOP], env=full, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@glibc_only
def test_tuned_processes_reuse_freed_memory_instead_of_faulting_it_in_again():
    pages = 4 * (76 * 2**20) // os.sysconf('SC_PAGE_SIZE')  # pages the last four steps touch
    system = _run_loop(**{ENV_VAR: 'system'})
    tuned = _run_loop()
    assert system['note'] == f'allocator: system default ({ENV_VAR}=system)'
    assert tuned['note'].startswith('allocator: glibc ') and 'freed memory kept for reuse' in tuned['note']
    # the system default maps each 64 MB block afresh: every page faults in again, every iteration
    assert system['faults'] >= pages // 2, system
    # tuned, the freed blocks are reused already mapped (once glibc's free chunks have settled: a posix_memalign
    # request needs a little more than the block it freed, so the first steps grow the heap)
    assert tuned['faults'] < pages // 100, tuned
    # and the heap stops growing: the kept memory is bounded
    assert tuned['rss'][0] == tuned['rss'][1], tuned


def test_system_setting_is_a_no_op_and_the_call_is_repeatable(monkeypatch):
    monkeypatch.setenv(ENV_VAR, ' System ')
    assert tune_allocator() == f'allocator: system default ({ENV_VAR}=system)'
    monkeypatch.delenv(ENV_VAR)
    first = tune_allocator()
    assert tune_allocator() == first
    assert first.startswith('allocator: ')

"""tools/analysis/benchmark.py --compare-rev: this tree against a git revision, in fresh processes (a real run)."""

import os
import re
import subprocess
import sys

import pytest

from pyskl.apis.benchmark_compare import REPO_ROOT, compare_revisions

TINY = ['model.backbone.base_channels=8', 'model.cls_head.in_channels=32']


def test_compare_mode_prints_the_table_against_head():
    cmd = [
        sys.executable,
        os.path.join(REPO_ROOT, 'tools', 'analysis', 'benchmark.py'),
        '--compare-rev',
        'HEAD',
        '--backbones',
        'ST-GCN++',
        '--reps',
        '1',
        '--iters',
        '2',
        '--threads',
        '1',
        '--shape',
        '2',
        '2',
        '16',
        '25',
        '3',
        '--padded-persons',
        '0.5',
        '--data-iters',
        '4',
        '--cfg-options',
    ] + TINY
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    head = subprocess.run(['git', '-C', REPO_ROOT, 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout
    assert f'Baseline A: HEAD ({head.strip()[:12]})' in res.stdout
    assert 'input (2, 2, 16, 25, 3) (50% of the samples one person + zero padding)' in res.stdout
    # the default warm-up: a fresh process's first steps are not its steady state
    assert '1 processes per side x 2 iterations after 3 untimed (medians' in res.stdout
    row = [line for line in res.stdout.splitlines() if line.startswith('| ST-GCN++ |')]
    assert len(row) == 1
    # eval, train, memory and data ratios are all measured
    assert len(re.findall(r'\| [0-9.]+x ', row[0])) == 4, row[0]
    assert 'C allocator: A allocator: ' in res.stdout
    assert 'ST-GCN++ A rep 1/1' in res.stderr and 'ST-GCN++ B rep 1/1' in res.stderr


def test_unknown_revision_and_backbone_are_clear_errors():
    with pytest.raises(ValueError, match='no-such-rev'):
        compare_revisions('no-such-rev', backbones=['ST-GCN'])
    with pytest.raises(ValueError, match='unknown backbone'):
        compare_revisions('HEAD', backbones=['ST-GCN+++'])


def test_default_baseline_is_a_known_commit():
    from pyskl.apis.benchmark_compare import BASELINE_REV

    res = subprocess.run(['git', '-C', REPO_ROOT, 'cat-file', '-t', BASELINE_REV], capture_output=True, text=True)
    assert res.stdout.strip() == 'commit', res.stderr


@pytest.mark.parametrize('amp', [False, True])
def test_worker_runs_the_forward_passes_under_bf16_autocast_with_amp(amp):
    """And pads the persons after the first of ``padded`` of the samples with zeros (one sample of two here)."""
    from pyskl.apis.benchmark_compare import run_worker

    job = dict(
        kind='model',
        config='configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py',
        threads=1,
        shape=[2, 2, 16, 25, 3],
        warmup=0,
        iters=1,
        cfg_options={'model.backbone.base_channels': 8, 'model.cls_head.in_channels': 32},
        amp=amp,
        padded=0.5,
    )
    out = run_worker(REPO_ROOT, job, timeout=300)
    assert out['padded'] == 1
    assert out['eval_dtype'] == (['torch.bfloat16'] if amp else ['torch.float32'])
    assert out['allocator'].startswith('allocator: ')  # this tree's tools tune the C allocator; reported
    assert len(out['train_ms']) == 1 and out['train_ms'][0] > 0


def test_comparison_header_says_when_b_ran_under_amp():
    from pyskl.cli.benchmark import format_comparison

    res = dict(rev='HEAD', commit='0' * 40, threads=2, shape=(8, 2, 100, 25, 3), reps=1, iters=1, warmup=2, rows=[])
    assert '1 processes per side x 1 iterations after 2 untimed' in format_comparison(res)
    assert 'under --amp' not in format_comparison(res)
    assert 'B: this tree under --amp (bfloat16 autocast; A float32)' in format_comparison(dict(res, amp=True))

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
        '--warmup',
        '0',
        '--threads',
        '1',
        '--shape',
        '2',
        '2',
        '16',
        '25',
        '3',
        '--data-iters',
        '4',
        '--cfg-options',
    ] + TINY
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    head = subprocess.run(['git', '-C', REPO_ROOT, 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout
    assert f'Baseline A: HEAD ({head.strip()[:12]})' in res.stdout
    row = [line for line in res.stdout.splitlines() if line.startswith('| ST-GCN++ |')]
    assert len(row) == 1
    # eval, train, memory and data ratios are all measured
    assert len(re.findall(r'\| [0-9.]+x ', row[0])) == 4, row[0]
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

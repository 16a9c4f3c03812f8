"""Re-runs never destroy (issue 10, item 3) and --test-last / --test-best / --out write fusable
predictions (item 5): real tools/train.py runs into one work dir."""

import glob
import hashlib
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def _pth_digests(work_dir):
    return {os.path.basename(p): _digest(p) for p in glob.glob(os.path.join(work_dir, '*.pth'))}


def _dead_pid():
    proc = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], stdout=subprocess.PIPE, text=True)
    return int(proc.stdout)


@pytest.fixture(scope='module')
def runs(demo_ann, tmp_path_factory, th):
    root = str(tmp_path_factory.mktemp('rerun'))
    work_dir = os.path.join(root, 'work')
    train = th.python_tool('train.py') + [th.CONFIG, '--work-dir', work_dir]
    out_file = os.path.join(root, 'final_pred.pkl')
    first = th.run(
        train
        + ['--seed', '3', '--test-last', '--test-best', '--out', out_file, '--cfg-options']
        + th.small_cfg_options(demo_ann, 2),
        cwd=root,
    )
    after_first = _pth_digests(work_dir)
    # a temporary file of a save that was killed (its process is gone): ignored, then cleaned
    stale = os.path.join(work_dir, f'.epoch_3.pth.{_dead_pid()}.deadbeef.tmp')
    with open(stale, 'wb') as f:
        f.write(b'truncated')
    # the same command again, asked to train longer and to keep one checkpoint: no --resume given
    second = th.run(
        train
        + ['--seed', '3', '--cfg-options']
        + th.small_cfg_options(demo_ann, 3)
        + ['default_hooks.checkpoint.max_keep_ckpts=1'],
        cwd=root,
    )
    after_second = _pth_digests(work_dir)
    with open(os.path.join(work_dir, 'last_checkpoint')) as f:
        last_after_second = f.read().strip()
    third = th.run(
        train + ['--seed', '4', '--no-resume', '--cfg-options'] + th.small_cfg_options(demo_ann, 1), cwd=root
    )
    return dict(
        root=root,
        work_dir=work_dir,
        first=first,
        second=second,
        third=third,
        out_file=out_file,
        after_first=after_first,
        after_second=after_second,
        stale=stale,
        last_after_second=last_after_second,
        after_third=_pth_digests(work_dir),
    )


def test_rerun_resumes_and_keeps_earlier_checkpoints(runs):
    work_dir, second = os.path.realpath(runs['work_dir']), runs['second']
    assert 'holds checkpoints of an earlier run: resuming from' in second
    assert 'resumed epoch: 2' in second
    assert 'Epoch(train) [1]' not in second and 'Epoch(train) [3]' in second
    # epoch_1 and epoch_2 (written by the first run) are still there, unchanged, although
    # max_keep_ckpts=1 would have deleted them by name
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        assert runs['after_second'][name] == runs['after_first'][name], name
    assert 'epoch_3.pth' in runs['after_second']
    assert not os.path.exists(runs['stale'])
    assert runs['last_after_second'] == os.path.join(work_dir, 'epoch_3.pth')
    assert runs['after_second']['latest.pth'] == runs['after_second']['epoch_3.pth']


def test_latest_pth_follows_the_newest_checkpoint(runs):
    assert runs['after_first']['latest.pth'] == runs['after_first']['epoch_2.pth']
    import torch

    ckpt = torch.load(os.path.join(runs['work_dir'], 'latest.pth'), weights_only=True)
    assert 'state_dict' in ckpt and 'optimizer' in ckpt


def test_no_resume_starts_afresh_and_loses_nothing(runs):
    third = runs['third']
    assert 'resumed epoch' not in third and 'Epoch(train) [1]' in third
    # every checkpoint file of the earlier runs still exists somewhere in the work dir, byte for byte
    before = set(runs['after_first'].values()) | set(runs['after_second'].values())
    assert before <= set(runs['after_third'].values())
    aside = glob.glob(os.path.join(runs['work_dir'], 'epoch_1.before-*.pth'))
    assert len(aside) == 1 and _digest(aside[0]) == runs['after_first']['epoch_1.pth']
    assert 'was not written by this run: kept as' in third


def test_test_last_best_write_fusable_predictions(runs, demo_ann, th):
    work_dir = runs['work_dir']
    preds = [os.path.join(work_dir, 'last_pred.pkl'), os.path.join(work_dir, 'best_pred.pkl')]
    for path in preds:
        with open(path, 'rb') as f:
            scores = pickle.load(f)
        assert isinstance(scores, list) and len(scores) == 10  # xsub_val, dataset order
        assert all(isinstance(s, np.ndarray) and s.dtype == np.float32 and s.shape == (60,) for s in scores)
    # --out: the final test (best) predictions, identical to best_pred.pkl
    assert _digest(runs['out_file']) == _digest(preds[1])
    out = th.run(
        th.python_tool(os.path.join('analysis', 'fuse_results.py'))
        + ['--preds']
        + preds
        + ['--ann-file', demo_ann, '--split', 'xsub_val'],
        cwd=runs['root'],
    )
    assert 'Top-1' in out or 'top1' in out.lower()


def test_rerunning_a_finished_run_says_so(runs, demo_ann, th):
    # it resumed, trained nothing and said nothing; the third run (--no-resume, 1 epoch) finished, so the same command
    # again has nothing to do
    train = th.python_tool('train.py') + [th.CONFIG, '--work-dir', runs['work_dir']]
    out = th.run(train + ['--seed', '4', '--cfg-options'] + th.small_cfg_options(demo_ann, 1), cwd=runs['root'])
    assert 'training already finished (epoch 1 of 1); nothing to train' in out
    assert 'Epoch(train)' not in out

"""tools/train.py and tools/test.py end to end on a tiny synthetic dataset (real runs)."""

import glob
import json
import os
import pickle
import re
import shutil

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def runs(demo_ann, tmp_path_factory, th):
    """Run A: 2 epochs straight (+ --test-last --test-best). Run B: a run interrupted during epoch 2
    (its work dir holds only A's epoch_1.pth, as a killed run leaves it), resumed with
    ``--resume`` (auto: latest checkpoint) and without ``--seed``."""
    root = tmp_path_factory.mktemp('train')
    straight, interrupted = str(root / 'straight'), str(root / 'interrupted')
    out_a = th.run(
        th.python_tool('train.py')
        + [th.CONFIG, '--work-dir', straight, '--seed', '3', '--test-last', '--test-best', '--cfg-options']
        + th.small_cfg_options(demo_ann, 2),
        cwd=str(root),
    )
    os.makedirs(interrupted)
    shutil.copy(os.path.join(straight, 'epoch_1.pth'), interrupted)
    with open(os.path.join(interrupted, 'last_checkpoint'), 'w') as f:
        f.write(os.path.join(interrupted, 'epoch_1.pth'))
    out_b = th.run(
        th.python_tool('train.py')
        + [th.CONFIG, '--work-dir', interrupted, '--resume', '--cfg-options']
        + th.small_cfg_options(demo_ann, 2),
        cwd=str(root),
    )
    return dict(root=str(root), straight=straight, interrupted=interrupted, out_a=out_a, out_b=out_b)


def test_checkpoints_load_with_weights_only(runs):
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        ckpt = torch.load(os.path.join(runs['straight'], name), weights_only=True)
        assert {'meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers'} <= set(ckpt)
        assert ckpt['meta']['seed'] == 3
    best = glob.glob(os.path.join(runs['straight'], 'best_acc_top1_epoch_*.pth'))
    assert len(best) == 1
    torch.load(best[0], weights_only=True)


def test_resumed_run_matches_uninterrupted(runs):
    assert 'Resuming with the seed stored in' in runs['out_b']
    assert 'resumed epoch: 1' in runs['out_b']
    a = torch.load(os.path.join(runs['straight'], 'epoch_2.pth'), weights_only=True)
    b = torch.load(os.path.join(runs['interrupted'], 'epoch_2.pth'), weights_only=True)
    assert b['meta']['seed'] == 3 and b['meta']['epoch'] == 2 and b['meta']['iter'] == a['meta']['iter'] == 10
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    # same optimizer (momentum buffers) and scheduler state
    for idx, state in a['optimizer']['state'].items():
        assert torch.equal(state['momentum_buffer'], b['optimizer']['state'][idx]['momentum_buffer'])
    assert a['param_schedulers'] == b['param_schedulers']
    # and the weights did change during epoch 2
    first = torch.load(os.path.join(runs['straight'], 'epoch_1.pth'), weights_only=True)
    assert any(not torch.equal(v, first['state_dict'][k]) for k, v in a['state_dict'].items())


def test_tensorboard_has_the_logged_loss(runs):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = glob.glob(os.path.join(runs['straight'], '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(events) == 1
    acc = EventAccumulator(events[0])
    acc.Reload()
    tb_loss = {e.step: e.value for e in acc.Scalars('loss')}
    assert sorted(tb_loss) == list(range(1, 11))  # 2 epochs x 5 iterations, logged every iteration
    # the same values as the text/JSON log (LocalVisBackend)
    scalars = [
        json.loads(line) for line in open(glob.glob(os.path.join(runs['straight'], '*', 'vis_data', 'scalars.json'))[0])
    ]
    json_loss = {s['step']: s['loss'] for s in scalars if 'loss' in s}
    assert json_loss.keys() == tb_loss.keys()
    for step, value in json_loss.items():
        assert tb_loss[step] == pytest.approx(value, rel=1e-6)
    assert 'acc/top1' in acc.Tags()['scalars']


def test_test_last_best_and_progress_bar(runs):
    out = runs['out_a']
    assert 'Test (last checkpoint): acc/top1:' in out
    assert 'Test (best checkpoint): acc/top1:' in out
    assert 'Load checkpoint from ' in out and 'best_acc_top1_epoch_' in out
    # rank-0 progress over the 3 batches of the validation / test sets (10 samples, batch 4): stderr is a pipe
    # here, so it comes as whole lines, never a carriage-return bar inside a log line
    assert 'val: 0/3 batches (0%), 0:00:00 elapsed' in out and 'val: 3/3 batches (100%)' in out
    assert 'test: 0/3 batches (0%)' in out and 'test: 3/3 batches (100%)' in out
    assert '\r' not in out


def test_test_tool_out_dump_eval(runs, demo_ann, th):
    ckpt = os.path.join(runs['straight'], 'epoch_2.pth')
    out_pkl = os.path.join(runs['root'], 'result.pkl')
    dump_pkl = os.path.join(runs['root'], 'dump.pkl')
    common = th.python_tool('test.py') + [th.CONFIG, ckpt, '--work-dir', os.path.join(runs['root'], 'test')]
    stdout = th.run(
        common
        + ['--out', out_pkl, '--dump', dump_pkl, '--eval', 'top_k_accuracy', 'mean_class_accuracy', '--cfg-options']
        + th.small_cfg_options(demo_ann),
        cwd=runs['root'],
    )
    assert 'Top-1:' in stdout and 'Top-5:' in stdout and 'Mean-class:' in stdout
    assert 'test: 3/3 batches (100%)' in stdout  # progress lines
    assert re.search(r'Tested 10 samples in [0-9.]+ s: [0-9.]+ samples/s', stdout)  # throughput of the loop
    with open(out_pkl, 'rb') as f:
        result = pickle.load(f)
    with open(dump_pkl, 'rb') as f:
        dump = pickle.load(f)
    assert len(result) == len(dump) == 10  # xsub_val
    for scores, item in zip(result, dump):
        assert scores.dtype == np.float32 and scores.shape == (60,)
        assert scores.sum() == pytest.approx(1.0, abs=1e-4)  # average_clips='prob'
        np.testing.assert_array_equal(scores, item['pred_score'])
    assert [d['sample_idx'] for d in dump] == list(range(10))
    # the printed Top-1 is the accuracy of the dumped scores
    labels = np.array([d['gt_label'] for d in dump])
    top1 = np.mean(np.stack(result).argmax(1) == labels)
    assert f'Top-1: {100 * top1:.2f}%' in stdout

    # --average-clips score: raw mean of logits, no longer probabilities
    score_pkl = os.path.join(runs['root'], 'score.pkl')
    th.run(
        common
        + ['--out', score_pkl, '--eval', '--average-clips', 'score', '--cfg-options']
        + th.small_cfg_options(demo_ann),
        cwd=runs['root'],
    )
    with open(score_pkl, 'rb') as f:
        raw = pickle.load(f)
    assert len(raw) == 10
    assert all(s.dtype == np.float32 and s.shape == (60,) for s in raw)
    assert not all(abs(float(s.sum()) - 1) < 1e-3 for s in raw)


def test_progress_is_a_bar_on_a_terminal(runs, demo_ann, th):
    """With stderr on a real pseudo-terminal the test loop draws a tqdm bar (carriage returns, 'x/3')."""
    import pty
    import subprocess

    ckpt = os.path.join(runs['straight'], 'epoch_2.pth')
    cmd = (
        th.python_tool('test.py')
        + [
            th.CONFIG,
            ckpt,
            '--work-dir',
            os.path.join(runs['root'], 'tty'),
            '--eval',
            'top_k_accuracy',
            '--cfg-options',
        ]
        + th.small_cfg_options(demo_ann)
    )
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))  # a terminal is 120 columns wide
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.Popen(cmd, cwd=runs['root'], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=300)
    os.close(master)
    tty = b''.join(chunks).decode(errors='replace')
    assert proc.returncode == 0, tty
    assert 'Top-1:' in tty
    assert 'test:   0%|' in tty and '| 0/3 [' in tty and 'batches (' not in tty

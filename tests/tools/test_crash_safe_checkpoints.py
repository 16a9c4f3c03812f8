"""A real training process (tools/train.py) killed with SIGKILL at each instant of checkpoint writing
resumes to the same final weights as an uninterrupted run (issue 9, item 4).

How the kill points are made deterministic without any test hook in pyskl: the training process is
started through a small launcher (written below, test code only) that installs a Python audit hook
(``sys.addaudithook``) and then runs ``tools/train.py`` unchanged. Python raises an audit event
*before* every ``open``, ``os.rename``/``os.replace``, ``os.remove`` and ``os.link``; the hook counts
those that create, replace or delete a checkpoint-related file in the work dir (``*.pth``,
``last_checkpoint``, their temporary files) and, at the K-th, sends SIGKILL to its own process. The
process dies there, with the file system exactly as that instant left it (page cache included).

A first run records the events (no kill); then one run is killed before each event of the epoch-2
save sequence (writing the new best, writing epoch_2, publishing it through ``last_checkpoint`` and
``latest.pth``, deleting epoch_1 with ``max_keep_ckpts=1`` and the previous best), and a ``--resume``
run finishes training: its epoch_2.pth and best_acc_top5_epoch_2.pth must hold the uninterrupted run's
weights. PYSKL_TEST_EVERY_KILL_POINT=1 also kills at every event of epoch 1.
"""

import os
import re
import subprocess
import sys

import pytest
import torch

pytestmark = pytest.mark.slow

LAUNCHER = r"""
import os, runpy, signal, sys

work = os.path.realpath(os.environ['KILL_WORK_DIR'])
kill_at = int(os.environ['KILL_AT'])
log = open(os.environ['KILL_LOG'], 'a', buffering=1)
count = 0
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def name_in_work(path):
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str) or ('pth' not in path and 'checkpoint' not in path):
        return None
    full = os.path.realpath(path)
    if os.path.dirname(full) != work:
        return None
    return os.path.basename(full)


def hook(event, args):
    global count
    if event == 'open' and args[2] is not None and args[2] & WRITE:
        name = name_in_work(args[0])
    elif event in ('os.rename', 'os.link'):
        name = name_in_work(args[1])
    elif event == 'os.remove':
        name = name_in_work(args[0])
    else:
        return
    if name is None:
        return
    count += 1
    log.write(f'{count} {event} {name}\n')
    if count == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)


sys.addaudithook(hook)
train = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(train, run_name='__main__')
"""

# The reference run must replace the best checkpoint (kept on acc/top5) during epoch 2's save, i.e. top-5 must
# change between the epochs in the direction of the hook's `rule`. Which way it moves for a seed depends on the
# CPU's float rounding (thread count, kernels), so the fixture runs a seed with rule 'greater' and, when top-5
# fell instead, reruns the same (deterministic) run with rule 'less'; only a seed whose top-5 did not change at
# all moves it on to the next seed (each try: one 2-epoch run of a tiny model, a few seconds).
SEEDS = tuple(str(i) for i in [2] + [i for i in range(40) if i != 2])
TOP5_RE = re.compile(r'Epoch\(val\) \[(\d+)\]\[\d+/\d+\]\s+acc/top1: [0-9.]+\s+acc/top5: ([0-9.]+)')
TMP_RE = re.compile(r'^\..*\.tmp$')


def _cmd(th, work_dir, ann, seed, rule='greater'):
    return (
        [th.CONFIG, '--work-dir', work_dir, '--seed', seed, '--cfg-options']
        + th.small_cfg_options(ann, 2)
        + [
            'default_hooks.checkpoint.max_keep_ckpts=1',
            'default_hooks.checkpoint.save_best=acc/top5',
            f'default_hooks.checkpoint.rule={rule}',
            'num_classes=10',
            'train_dataloader.dataset.times=2',
        ]
    )


def _run_with_launcher(th, root, work_dir, ann, kill_at, seed, rule='greater'):
    """Run training under the launcher; returns (returncode, output, recorded events)."""
    launcher = os.path.join(root, 'kill_launcher.py')
    if not os.path.isfile(launcher):
        with open(launcher, 'w') as f:
            f.write(LAUNCHER)
    log = os.path.join(root, f'events_{os.path.basename(work_dir)}_{kill_at}.txt')
    env = dict(os.environ)
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT'):
        env.pop(key, None)
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', KILL_WORK_DIR=work_dir, KILL_AT=str(kill_at), KILL_LOG=log)
    os.makedirs(work_dir, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, launcher, th.python_tool('train.py')[1]] + _cmd(th, work_dir, ann, seed, rule),
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    with open(log) as f:
        events = [line.split(' ', 1)[1].strip() for line in f]
    return proc.returncode, proc.stdout, events


@pytest.fixture(scope='module')
def reference(demo_ann, tmp_path_factory, th):
    root = str(tmp_path_factory.mktemp('crash'))
    for seed in SEEDS:
        for rule in ('greater', 'less'):
            work_dir = os.path.join(root, f'reference_seed{seed}_{rule}')
            rc, out, events = _run_with_launcher(th, root, work_dir, demo_ann, kill_at=0, seed=seed, rule=rule)
            assert rc == 0, out[-4000:]
            if any(re.search(r'os.remove best_acc_top5_epoch_1\.pth', e) for e in events):
                return dict(root=root, work_dir=work_dir, events=events, out=out, seed=seed, rule=rule)
            top5 = dict(TOP5_RE.findall(out))
            if top5.get('1') == top5.get('2'):
                break  # top-5 did not move: no rule replaces the best checkpoint with this seed
    return dict(root=root, work_dir=work_dir, events=events, out=out, seed=seed, rule=rule)


def _kill_points(events):
    """1-based indices of the events to kill at: every event from the first one of epoch 2's saves
    (PYSKL_TEST_EVERY_KILL_POINT=1: every recorded event, epoch 1's included)."""
    if os.environ.get('PYSKL_TEST_EVERY_KILL_POINT') == '1':
        return list(range(1, len(events) + 1))
    first = next(i for i, e in enumerate(events) if 'epoch_2' in e)
    return list(range(first + 1, len(events) + 1))


def test_reference_run_exercises_every_risky_step(reference):
    events = reference['events']
    text = '\n'.join(events)
    # epoch_1 is deleted (max_keep_ckpts=1) and the best checkpoint is replaced during epoch 2's save
    assert 'os.remove epoch_1.pth' in text, text
    assert re.search(r'os.remove best_acc_top5_epoch_1\.pth', text), (
        f'none of the seeds {SEEDS} improves the best checkpoint in epoch 2; add others\n{text}'
    )
    assert 'best_acc_top5_epoch_2.pth' in text


def test_kill_at_every_point_of_the_epoch2_save_then_resume(reference, demo_ann, th):
    ref = torch.load(os.path.join(reference['work_dir'], 'epoch_2.pth'), weights_only=True)
    ref_best = torch.load(os.path.join(reference['work_dir'], 'best_acc_top5_epoch_2.pth'), weights_only=True)
    points = _kill_points(reference['events'])
    assert len(points) >= 4
    failures = []
    for k in points:
        work_dir = os.path.join(reference['root'], f'killed_{k}')
        rc, out, events = _run_with_launcher(
            th, reference['root'], work_dir, demo_ann, kill_at=k, seed=reference['seed'], rule=reference['rule']
        )
        assert rc == -9, f'kill point {k} ({reference["events"][k - 1]}) not reached: exit {rc}\n{out[-3000:]}'
        resumed = subprocess.run(
            th.python_tool('train.py')
            + _cmd(th, work_dir, demo_ann, reference['seed'], reference['rule'])
            + ['--resume'],
            cwd=reference['root'],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1'),
            timeout=600,
        )
        where = f'killed before event {k} ({reference["events"][k - 1]})'
        if resumed.returncode != 0:
            failures.append(f'{where}: resume failed with exit {resumed.returncode}:\n{resumed.stdout[-1500:]}')
            continue
        final = torch.load(os.path.join(work_dir, 'epoch_2.pth'), weights_only=True)
        diff = [key for key, v in ref['state_dict'].items() if not torch.equal(v, final['state_dict'][key])]
        if diff or final['meta']['epoch'] != 2:
            failures.append(f'{where}: final weights differ from the uninterrupted run ({diff[:3]})')
        best = os.path.join(work_dir, 'best_acc_top5_epoch_2.pth')
        if not os.path.isfile(best):
            failures.append(f'{where}: best_acc_top5_epoch_2.pth missing after the resumed run')
        elif not torch.equal(
            torch.load(best, weights_only=True)['state_dict']['cls_head.fc_cls.weight'],
            ref_best['state_dict']['cls_head.fc_cls.weight'],
        ):
            failures.append(f"{where}: best_acc_top5_epoch_2.pth differs from the uninterrupted run's")
        names = os.listdir(work_dir)
        if any(TMP_RE.match(n) for n in names):
            failures.append(f'{where}: temporary files left after the resumed run: {names}')
        with open(os.path.join(work_dir, 'last_checkpoint')) as f:
            if os.path.basename(f.read().strip()) != 'epoch_2.pth':
                failures.append(f'{where}: last_checkpoint does not name epoch_2.pth')
        latest = os.path.join(work_dir, 'latest.pth')
        if not os.path.isfile(latest) or not torch.equal(
            torch.load(latest, weights_only=True)['state_dict']['cls_head.fc_cls.weight'],
            ref['state_dict']['cls_head.fc_cls.weight'],
        ):
            failures.append(f'{where}: latest.pth is not the final checkpoint')
    assert not failures, '\n\n'.join(failures)

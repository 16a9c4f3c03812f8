"""The LR schedule follows the training's length (CosineToEndLR): real tools/train.py runs of the demo config
(8 epochs in the file) shortened, as is, lengthened, and resumed with more epochs; the LR logged at every
iteration (scalars.json) is the cosine that reaches eta_min (0) exactly at the last iteration."""

import glob
import json
import math
import os

import pytest

DEMO = os.path.join('configs', 'stgcn++', 'stgcn++_demo_3dkp', 'j.py')
ITERS_PER_EPOCH = 2  # 20 training samples, batch 10
LR0 = 0.1


def options(th, ann, max_epochs):
    opts = th.small_cfg_options(ann, max_epochs=max_epochs, test_clips=1)
    return opts + [
        'train_dataloader.batch_size=10',
        'train_cfg.val_interval=100',
        'default_hooks.checkpoint.max_keep_ckpts=-1',
    ]


def lrs(work_dir):
    [path] = sorted(glob.glob(os.path.join(work_dir, '*', 'vis_data', 'scalars.json')))
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    rows = [r for r in rows if 'lr' in r]
    assert [r['step'] for r in rows] == list(range(rows[0]['step'], rows[0]['step'] + len(rows)))
    return [r['lr'] for r in rows]


def cosine(n):
    return [LR0 * (1 + math.cos(math.pi * i / (n - 1))) / 2 for i in range(n)]


def assert_ends_at_zero(curve):
    assert all(b <= a for a, b in zip(curve, curve[1:])), curve
    assert curve[-1] == 0.0, curve


@pytest.fixture(scope='module')
def sweep(th, demo_ann, tmp_path_factory):
    root = tmp_path_factory.mktemp('lr')
    runs = {}
    for max_epochs in (3, None, 10):  # shorter than, equal to, longer than the config's 8
        wd = str(root / f'e{max_epochs}')
        th.run(
            th.python_tool('train.py')
            + [DEMO, '--work-dir', wd, '--seed', '0', '--cfg-options']
            + options(th, demo_ann, max_epochs),
            cwd=th.REPO,
        )
        runs[max_epochs] = wd
    return runs


@pytest.mark.parametrize('max_epochs,epochs', [(3, 3), (None, 8), (10, 10)])
def test_cosine_follows_max_epochs(sweep, max_epochs, epochs):
    curve = lrs(sweep[max_epochs])
    assert len(curve) == epochs * ITERS_PER_EPOCH
    assert curve == pytest.approx(cosine(epochs * ITERS_PER_EPOCH), rel=1e-9, abs=1e-12)
    assert_ends_at_zero(curve)


def test_resume_with_more_epochs(sweep, th, demo_ann, tmp_path):
    """Resume the 3-epoch run from epoch 1 with max_epochs=5: the saved schedule's end (6 iterations) is
    replaced by this run's (10); the LR goes on from its value along a cosine to 0 at the new last iteration."""
    first = lrs(sweep[3])
    wd = str(tmp_path / 'resumed')
    out = th.run(
        th.python_tool('train.py')
        + [DEMO, '--work-dir', wd, '--resume', os.path.join(sweep[3], 'epoch_1.pth'), '--cfg-options']
        + options(th, demo_ann, 5),
        cwd=th.REPO,
    )
    assert 'CosineToEndLR: the saved schedule ended at step 6; this run ends at step 10' in out
    curve = lrs(wd)
    n, t0 = 5 * ITERS_PER_EPOCH, ITERS_PER_EPOCH
    assert len(curve) == n - t0
    assert curve[0] == first[t0]  # the value the checkpoint's optimizer held
    T = n - 1
    expected = [first[t0] * (1 + math.cos(math.pi * i / T)) / (1 + math.cos(math.pi * t0 / T)) for i in range(t0, n)]
    assert curve == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert_ends_at_zero(first[:t0] + curve)


def test_resume_a_finished_run_with_more_epochs(sweep, th, demo_ann, tmp_path):
    """The issue's case (a finished run resumed with a larger max_epochs): the LR stays at eta_min (it does not
    freeze at a high value), and the log says why and what to do instead."""
    wd = str(tmp_path / 'extended')
    out = th.run(
        th.python_tool('train.py')
        + [DEMO, '--work-dir', wd, '--resume', os.path.join(sweep[3], 'epoch_3.pth'), '--cfg-options']
        + options(th, demo_ann, 4),
        cwd=th.REPO,
    )
    assert 'had already reached eta_min' in out and 'load_from' in out
    assert lrs(wd) == [0.0] * ITERS_PER_EPOCH

"""tools/dist_run_streams.sh end to end on the demo data (tiny schedule, CPU): a first run of one
stream, then all four (the first resumes), then a re-run that only fuses."""

import glob
import os
import pickle
import shutil

import numpy as np
import pytest

from pyskl.apis.streams import TrainOptions, default_work_root, find_stream_configs, stream_state

DEMO_DIR = os.path.join('configs', 'stgcn++', 'stgcn++_demo_3dkp')


def test_find_configs_state_and_work_root(tmp_path, th):
    cfg_dir = tmp_path / 'configs' / 'model' / 'family'
    cfg_dir.mkdir(parents=True)
    for s in ('j', 'jm'):
        (cfg_dir / f'{s}.py').write_text('')
    assert [s for s, _ in find_stream_configs(str(cfg_dir))] == ['j', 'jm']
    with pytest.raises(FileNotFoundError, match=r"no config for stream\(s\) \['b'\]"):
        find_stream_configs(str(cfg_dir), ['j', 'b'])
    with pytest.raises(FileNotFoundError, match='none of j.py'):
        find_stream_configs(str(tmp_path))
    assert default_work_root(str(cfg_dir)) == os.path.join('work_dirs', 'model', 'family')

    # the state comes from the checkpoint's contents (meta.epoch), not from file names
    import torch

    wd = tmp_path / 'wd'
    assert stream_state(str(wd), 3) == ('new', None)
    wd.mkdir()
    (wd / 'epoch_2.pth').write_bytes(b'')  # unreadable: resumed (and reported) by the training
    assert stream_state(str(wd), 3) == ('unfinished', str(wd / 'epoch_2.pth'))
    torch.save(dict(meta=dict(epoch=2), state_dict={}), str(wd / 'epoch_3.pth'))  # named like the last epoch
    assert stream_state(str(wd), 3) == ('unfinished', str(wd / 'epoch_3.pth'))
    torch.save(dict(meta=dict(epoch=3), state_dict={}), str(wd / 'epoch_3.pth'))
    assert stream_state(str(wd), 3) == ('finished', str(wd / 'epoch_3.pth'))
    with pytest.raises(ValueError, match='trained for 3 epochs but the config has max_epochs=2'):
        stream_state(str(wd), 2)

    # the torchrun workers get the same training options back
    opts = TrainOptions(seed=0, validate=False, cfg_options=dict(a=1, b=[1, 2], c='x'))
    assert opts.to_argv() == ['--seed', '0', '--no-validate', '--cfg-options', 'a=1', 'b=[1,2]', 'c=x']


@pytest.mark.slow
def test_dist_run_streams_end_to_end(demo_ann, tmp_path, th):
    script = ['bash', os.path.join(th.REPO, 'tools', 'dist_run_streams.sh'), os.path.join(th.REPO, DEMO_DIR), '1']
    root = str(tmp_path / 'streams')

    def opts(epochs):
        return ['--seed', '0', '--cfg-options'] + th.small_cfg_options(demo_ann, max_epochs=epochs, test_clips=1)

    # 1) joint stream alone, one epoch
    out = th.run(script + ['--work-root', root, '--streams', 'j'] + opts(1), cwd=str(tmp_path))
    assert '[streams] j: training' in out and os.path.isfile(os.path.join(root, 'j', 'epoch_1.pth'))
    assert '| J Top-1 |' in out

    # 2) all four streams, two epochs: j resumes from epoch 1, the others train from scratch
    out = th.run(script + ['--work-root', root] + opts(2), cwd=str(tmp_path))
    assert '[streams] j: resuming' in out
    for s in ('b', 'jm', 'bm'):
        assert f'[streams] {s}: training' in out
    assert os.path.isfile(os.path.join(root, 'j', 'epoch_2.pth'))
    logs = [open(f).read() for f in glob.glob(os.path.join(root, 'j', '*', '*.log'))]
    second = [log for log in logs if 'Epoch(train) [2]' in log]
    assert len(second) == 1 and 'Epoch(train) [1]' not in second[0]  # resumed, not retrained

    # the per-stream dumps and result.pkl: 10 xsub_val samples, 10 classes, in the same order
    dumps = {}
    for s in ('j', 'b', 'jm', 'bm'):
        with open(os.path.join(root, s, 'dump.pkl'), 'rb') as f:
            dumps[s] = pickle.load(f)
        with open(os.path.join(root, s, 'result.pkl'), 'rb') as f:
            result = pickle.load(f)
        assert len(dumps[s]) == len(result) == 10 and result[0].shape == (10,)
    labels = np.array([d['gt_label'] for d in dumps['j']])
    assert [d['frame_dir'] for d in dumps['bm']] == [d['frame_dir'] for d in dumps['j']]

    def top1(weights):
        fused = sum(w * np.stack([d['pred_score'] for d in dumps[s]]) for s, w in weights.items())
        return 100 * np.mean(np.argmax(fused, 1) == labels)

    table = out[out.index('| Config |') :].splitlines()
    assert table[0] == '| Config | J Top-1 | B Top-1 | JM Top-1 | BM Top-1 | 2s Top-1 | 4s Top-1 |'
    values = [float(v) for v in table[2].strip('| ').split(' | ')[1:]]
    expected = [top1({s: 1}) for s in ('j', 'b', 'jm', 'bm')]
    expected += [top1(dict(j=1, b=1)), top1(dict(j=2, b=2, jm=1, bm=1))]
    np.testing.assert_allclose(values, expected, atol=0.006)
    assert any(line.startswith('4s (J+B+JM+BM)') and ' 2:2:1:1 ' in line for line in out.splitlines())

    # 3) re-run: nothing is trained or tested again, the same table is printed
    mtimes = {s: os.path.getmtime(os.path.join(root, s, 'dump.pkl')) for s in dumps}
    again = th.run(script + ['--work-root', root] + opts(2), cwd=str(tmp_path))
    for s in dumps:
        assert f'[streams] {s}: finished' in again and f'[streams] {s}: test results are up to date' in again
        assert os.path.getmtime(os.path.join(root, s, 'dump.pkl')) == mtimes[s]
    assert again[again.index('| Config |') :].splitlines()[2] == table[2]


def test_dist_run_streams_errors(tmp_path, th):
    import subprocess

    empty = tmp_path / 'empty'
    empty.mkdir()
    proc = subprocess.run(
        ['bash', os.path.join(th.REPO, 'tools', 'dist_run_streams.sh'), str(empty), '1'],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and 'none of j.py, b.py, k.py, jm.py, bm.py, km.py found' in proc.stdout
    shutil.rmtree(empty)
    proc = subprocess.run(
        ['bash', os.path.join(th.REPO, 'tools', 'dist_run_streams.sh')],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and 'usage' in proc.stdout


@pytest.mark.slow
def test_dist_run_streams_two_processes_one_torchrun_per_stream(demo_ann, tmp_path, th):
    """GPUS = 2: the stream is trained and tested by one torchrun launch (2 ranks on gloo), then fused."""
    root = str(tmp_path / 'streams')
    out = th.run(
        [
            'bash',
            os.path.join(th.REPO, 'tools', 'dist_run_streams.sh'),
            os.path.join(th.REPO, DEMO_DIR),
            '2',
            '--work-root',
            root,
            '--streams',
            'j',
            '--seed',
            '0',
            '--cfg-options',
        ]
        + th.small_cfg_options(demo_ann, max_epochs=1, test_clips=1),
        cwd=str(tmp_path),
        PORT=str(th.free_port()),
        CUDA_VISIBLE_DEVICES='',
        timeout=900,
    )
    launches = [line for line in out.splitlines() if 'pyskl.cli.torchrun' in line and line.startswith('[streams]')]
    assert len(launches) == 1 and '--nproc_per_node=2' in launches[0]
    logs = [open(f).read() for f in glob.glob(os.path.join(root, 'j', '*', '*.log'))]
    assert len(logs) == 2 and all('GPU number: 2' in log for log in logs)  # training and test, both distributed
    with open(os.path.join(root, 'j', 'result.pkl'), 'rb') as f:
        assert len(pickle.load(f)) == 10
    assert out[out.index('| Config |') :].splitlines()[0] == '| Config | J Top-1 |'

"""Analysis tools: label maps, confusion matrix PNG/CSV, training curves, tools/test.py --label-map
and the benchmark, on hand-built files with known answers and on a real tiny training run."""

import csv
import glob
import json
import os
import subprocess

import numpy as np
import pytest

from pyskl.core.io import dump_pickle
from pyskl.evaluation.confusion import confusion_matrix
from pyskl.core.label_map import load_label_map
from pyskl.apis.log_analysis import load_run, summarize_run

DEMO_CONFIG = os.path.join('configs', 'stgcn++', 'stgcn++_demo_3dkp', 'j.py')
LABEL_MAPS = os.path.join('tools', 'data', 'label_map')


def read_png(path):
    from matplotlib.image import imread

    assert os.path.getsize(path) > 0
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    return img


def test_ntu_label_maps(th):
    ntu60 = load_label_map(os.path.join(th.REPO, LABEL_MAPS, 'nturgbd_60.txt'), 60)
    ntu120 = load_label_map(os.path.join(th.REPO, LABEL_MAPS, 'nturgbd_120.txt'), 120)
    assert ntu120[:60] == ntu60
    assert (ntu60[0], ntu60[1], ntu60[22], ntu60[49], ntu60[59]) == (
        'drink water',
        'eat meal/snack',
        'hand waving',
        'punching/slapping other person',
        'walking apart from each other',
    )
    assert (ntu120[60], ntu120[79], ntu120[119]) == (
        'put on headphone',
        'squat down',
        'finger-guessing game (playing rock-paper-scissors)',
    )


def test_label_map_errors(tmp_path):
    path = tmp_path / 'map.txt'
    path.write_text('a\nb\n\n')
    assert load_label_map(str(path)) == ['a', 'b']
    with pytest.raises(ValueError, match='map.txt: the label map names 2 classes but the results have 3'):
        load_label_map(str(path), 3)
    path.write_text('a\n\nb\n')
    with pytest.raises(ValueError, match='map.txt: line 2 is blank'):
        load_label_map(str(path))
    path.write_text('a\nb\na\n')
    with pytest.raises(ValueError, match="map.txt: line 3 repeats the class name 'a' of line 1"):
        load_label_map(str(path))
    with pytest.raises(FileNotFoundError, match='label map not found'):
        load_label_map(str(tmp_path / 'none.txt'))
    path.write_bytes(b'\xff\xfe\x00\x01')  # not UTF-8: the error names the file
    with pytest.raises(ValueError, match='map.txt: a label map is UTF-8 text'):
        load_label_map(str(path))


def test_confusion_matrix_tool(tmp_path, th):
    # 5 samples, labels 0 0 1 1 2; predictions 0 1 1 1 0
    scores = np.eye(3, dtype=np.float32)[[0, 1, 1, 1, 0]]
    labels = [0, 0, 1, 1, 2]
    cm = confusion_matrix(scores, np.array(labels), 4)
    assert cm.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    dump = str(tmp_path / 'dump.pkl')
    dump_pickle(
        [
            dict(pred_score=s, gt_label=lb, sample_idx=i, frame_dir=f'S{i}')
            for i, (s, lb) in enumerate(zip(scores, labels))
        ],
        dump,
    )
    names = tmp_path / 'names.txt'
    names.write_text('wave\nclap\njump\n')
    png, out_csv = str(tmp_path / 'cm.png'), str(tmp_path / 'cls.csv')
    out = th.run(
        th.python_tool(os.path.join('analysis', 'confusion_matrix.py'))
        + [dump, '--label-map', str(names), '--out-png', png, '--out-csv', out_csv],
        cwd=str(tmp_path),
    )
    assert 'Top-1 60.00%' in out and 'mean class accuracy 50.00%' in out
    read_png(png)
    with open(out_csv, newline='') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3
    assert [(r['name'], r['samples'], r['correct'], r['most_confused_with']) for r in rows] == [
        ('wave', '2', '1', 'clap'),
        ('clap', '2', '2', ''),
        ('jump', '1', '0', 'wave'),
    ]
    assert [float(r['accuracy']) for r in rows] == [0.5, 1.0, 0.0]
    # a label map of the wrong length is refused, naming the file
    names.write_text('wave\nclap\n')
    import subprocess

    proc = subprocess.run(
        th.python_tool(os.path.join('analysis', 'confusion_matrix.py')) + [dump, '--label-map', str(names)],
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.returncode != 0 and 'names.txt: the label map names 2 classes but the results have 3' in proc.stdout


def _write_jsonl(path, entries):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(json.dumps(e) for e in entries) + '\n')


def test_log_parsing_known_values(tmp_path):
    wd = tmp_path / 'wd'
    # first run: epochs 1-2 (iterations 1..4), then a resumed run for epoch 3, then a test run's folder
    _write_jsonl(
        str(wd / '20260101_000000' / 'vis_data' / 'scalars.json'),
        [
            dict(lr=0.1, loss=2.0, epoch=1, iter=2, step=2),
            dict(**{'acc/top1': 0.3, 'acc/mean1': 0.2}, step=1),
            dict(lr=0.05, loss=1.5, epoch=2, iter=4, step=4),
            dict(**{'acc/top1': 0.6, 'acc/mean1': 0.5}, step=2),
        ],
    )
    _write_jsonl(
        str(wd / '20260101_010000' / 'vis_data' / 'scalars.json'),
        [dict(lr=0.01, loss=1.0, epoch=3, iter=6, step=6), dict(**{'acc/top1': 0.5, 'acc/mean1': 0.5}, step=3)],
    )
    _write_jsonl(str(wd / '20260101_020000' / 'vis_data' / 'scalars.json'), [dict(**{'acc/top1': 0.99}, step=0)])
    run = load_run(str(wd))
    assert [e['step'] for e in run['train']] == [2, 4, 6] and [e['loss'] for e in run['train']] == [2.0, 1.5, 1.0]
    assert [e['acc/top1'] for e in run['val']] == [0.3, 0.6, 0.5]  # the test folder is skipped
    assert summarize_run(run) == dict(iterations=6, epochs=3, final_loss=1.0, best=0.6, best_epoch=2)
    # PYSKL 0.x log.json
    old = str(tmp_path / 'old.log.json')
    _write_jsonl(
        old,
        [
            dict(env_info='x'),
            dict(mode='train', epoch=1, iter=20, lr=0.1, loss=3.0),
            dict(mode='train', epoch=1, iter=40, lr=0.1, loss=2.0),
            dict(mode='val', epoch=1, iter=40, top1_acc=0.25, mean_class_accuracy=0.2),
        ],
    )
    run = load_run(old)
    assert [e['step'] for e in run['train']] == [20, 40] and run['val'][0]['acc/top1'] == 0.25
    bad = tmp_path / 'bad.json'
    bad.write_text('{"loss": 1, "step": 1}\n{not json\n')
    with pytest.raises(ValueError, match='bad.json: line 2 is not JSON'):
        load_run(str(bad))
    bad.write_text('{"loss": 1, "step": 1}\n' + '[' * 100000 + ']' * 100000 + '\n')  # RecursionError in json
    with pytest.raises(ValueError, match='bad.json: line 2 is not JSON'):
        load_run(str(bad))
    bad.write_bytes(b'{"loss": 1, "step": 1}\n{"loss": "\xff"}\n')  # not UTF-8
    with pytest.raises(ValueError, match='bad.json: line 2 is not JSON'):
        load_run(str(bad))
    for line, field in (
        ('{"loss": "x", "step": 2}', 'loss'),
        ('{"loss": 1, "step": "a"}', 'step'),
        ('{"acc/top1": [1], "step": 2}', 'acc/top1'),
        ('{"mode": "val", "top1_acc": null}', 'top1_acc'),
    ):
        bad.write_text('{"loss": 1, "step": 1}\n' + line + '\n')
        with pytest.raises(ValueError, match=f"bad.json: line 2: field '{field}' must be a number"):
            load_run(str(bad))
    with pytest.raises(FileNotFoundError, match='no <timestamp>/vis_data/scalars.json'):
        load_run(str(tmp_path / 'wd' / '20260101_000000'))


@pytest.fixture(scope='module')
def trained(demo_ann, tmp_path_factory, th):
    """A real 2-epoch run of the shrunk demo config."""
    wd = str(tmp_path_factory.mktemp('analysis') / 'wd')
    th.run(
        th.python_tool('train.py')
        + [DEMO_CONFIG, '--work-dir', wd, '--seed', '0', '--cfg-options']
        + th.small_cfg_options(demo_ann, max_epochs=2, test_clips=1),
        cwd=th.REPO,
    )
    return wd


def test_analyze_logs_real_run(trained, tmp_path, th):
    png = str(tmp_path / 'curves.png')
    scalars = glob.glob(os.path.join(trained, '*', 'vis_data', 'scalars.json'))[0]
    out = th.run(
        th.python_tool(os.path.join('analysis', 'analyze_logs.py'))
        + [
            trained,
            scalars,
            '--legend',
            'workdir',
            'file',
            '--keys',
            'loss',
            'lr',
            'acc/top1',
            'acc/mean1',
            '--out',
            png,
        ],
        cwd=str(tmp_path),
    )
    # 20 training samples / batch 4 = 5 iterations per epoch
    assert out.count('workdir: 10 iterations, 2 epochs') == 1 and 'file: 10 iterations, 2 epochs' in out
    img = read_png(png)
    assert img.shape[1] > 2 * img.shape[0]  # four panels side by side
    run = load_run(trained)
    assert len(run['val']) == 2 and all(0 <= e['acc/top1'] <= 1 for e in run['val'])
    assert len(run['train']) == 10 and run['train'][0]['lr'] > run['train'][-1]['lr']  # cosine decay


def test_test_tool_label_map(trained, demo_ann, tmp_path, th):
    dump = str(tmp_path / 'dump.pkl')
    out = th.run(
        th.python_tool('test.py')
        + [
            DEMO_CONFIG,
            os.path.join(trained, 'epoch_2.pth'),
            '--work-dir',
            str(tmp_path / 'twd'),
            '--dump',
            dump,
            '--label-map',
            os.path.join(LABEL_MAPS, 'demo.txt'),
            '--cfg-options',
        ]
        + th.small_cfg_options(demo_ann, max_epochs=2, test_clips=1),
        cwd=th.REPO,
    )
    from pyskl.core.results import load_results
    from pyskl.evaluation.functional import per_class_accuracy

    res = load_results(dump)
    acc = per_class_accuracy(res.scores, res.labels)
    names = load_label_map(os.path.join(th.REPO, LABEL_MAPS, 'demo.txt'))
    report = out[out.index('Per-class Top-1:') :].splitlines()[1:11]
    assert len(report) == 10  # xsub_val has one sample of each of the 10 classes
    for i, line in enumerate(report):
        assert names[i] in line and f'{100 * acc[i]:6.2f}' in line
    # without --dump the temporary dump is removed again
    out = th.run(
        th.python_tool('test.py')
        + [
            DEMO_CONFIG,
            os.path.join(trained, 'epoch_2.pth'),
            '--work-dir',
            str(tmp_path / 'twd2'),
            '--label-map',
            os.path.join(LABEL_MAPS, 'demo.txt'),
            '--cfg-options',
        ]
        + th.small_cfg_options(demo_ann, max_epochs=2, test_clips=1),
        cwd=th.REPO,
    )
    assert 'squat down and stand up' in out
    assert not glob.glob(str(tmp_path / 'twd2' / '.label_map_dump*'))
    # a map of another class count is refused before the test runs (it was found after the whole test)
    wrong = tmp_path / 'ntu.txt'
    wrong.write_text('\n'.join(f'class {i}' for i in range(60)) + '\n')
    cmd = th.python_tool('test.py') + [DEMO_CONFIG, os.path.join(trained, 'epoch_2.pth'), '--work-dir']
    cmd += [str(tmp_path / 'twd3'), '--label-map', str(wrong), '--cfg-options']
    proc = subprocess.run(
        cmd + th.small_cfg_options(demo_ann, max_epochs=2, test_clips=1), cwd=th.REPO, capture_output=True, text=True
    )
    assert proc.returncode == 1 and '60' in proc.stderr and 'Top-1' not in proc.stdout, proc.stderr[-2000:]


def test_benchmark_cpu(demo_ann, tmp_path, th):
    out = th.run(
        th.python_tool(os.path.join('analysis', 'benchmark.py'))
        + [
            DEMO_CONFIG,
            '--device',
            'cpu',
            '--batch',
            '2',
            '--iters',
            '2',
            '--warmup',
            '1',
            '--data-iters',
            '4',
            '--cfg-options',
        ]
        + th.small_cfg_options(demo_ann, test_clips=2),
        cwd=th.REPO,
    )
    rates = {}
    for line in out.splitlines():
        for name in ('Training step', 'Inference', 'Data pipeline (1 worker)'):
            if line.startswith(name):
                rates[name] = float(line[len(name) :].split()[0])
    assert set(rates) == {'Training step', 'Inference', 'Data pipeline (1 worker)'}
    assert all(r > 0 for r in rates.values())
    assert 'input (1, 2, 16, 25, 3)' in out and 'input (2, 2, 16, 25, 3)' in out  # train 1 clip, test 2 clips


def test_logs_with_non_finite_counts_and_accuracies(tmp_path):
    # an inf / NaN iteration was an OverflowError / "cannot convert float NaN"; a NaN accuracy was reported as the
    # best ("best acc/top1 nan%"); a 5000-digit number named no file
    log = tmp_path / 'scalars.json'
    log.write_text('{"loss": 2.0, "lr": 0.1, "step": 1}\n{"acc/top1": NaN, "step": 1}\n{"acc/top1": 0.9, "step": 2}\n')
    assert summarize_run(load_run(str(log)))['best'] == 0.9
    old = tmp_path / 'old.log.json'
    old.write_text('{"mode": "train", "iter": Infinity, "epoch": 1, "loss": 1.0}\n')
    with pytest.raises(ValueError, match=f"^{old}: line 1: field 'iter' must be a count, got inf"):
        load_run(str(old))
    log.write_text('{"loss": 1.0, "step": 1}\n{"loss": ' + '7' * 5000 + ', "step": 2}\n')
    with pytest.raises(ValueError, match=f'^{log}: line 2 is not a log entry'):
        load_run(str(log))

"""Fusion of hand-built result files with known answers: both file formats, alignment by name,
the misalignment refusals, weight search, and the fuse_results.py CLI."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from pyskl.core.io import UnsafePickleError, dump_pickle
from pyskl.cli.fuse import format_weights
from pyskl.core.results import StreamResult, load_results, load_split_labels, stream_name
from pyskl.evaluation.fusion import align_streams, fuse_result_files, fuse_scores, search_weights
from pyskl.evaluation.functional import per_class_accuracy
from repo_paths import REPO


# 4 validation samples, 3 classes. A predicts 0,1,0,2 (2/4 right), B 1,1,2,1 (3/4 right);
# A+B is right everywhere (sample 0 ties 0.9/0.9 -> the lower index 0, the label); 2A+B misses sample 3.
NAMES = ['S001C001P001R001A001', 'S001C001P002R001A002', 'S001C001P003R001A003', 'S001C001P004R001A002']
LABELS = [0, 1, 2, 1]
A = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.5, 0.1, 0.4], [0.1, 0.2, 0.7]], dtype=np.float32)
B = np.array([[0.3, 0.6, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1]], dtype=np.float32)


@pytest.fixture
def ann(tmp_path):
    """Annotation with a 'train' split (2 samples) before and between the 4 'val' samples."""
    anns = []
    names = ['S002C001P001R001A001'] + NAMES[:2] + ['S002C001P001R001A002'] + NAMES[2:]
    labels = [0] + LABELS[:2] + [1] + LABELS[2:]
    for name, label in zip(names, labels):
        anns.append(dict(frame_dir=name, label=label, total_frames=2, keypoint=np.zeros((1, 2, 25, 3), np.float32)))
    path = str(tmp_path / 'ann.pkl')
    dump_pickle(dict(split=dict(train=[names[0], names[3]], val=NAMES), annotations=anns), path)
    return path


def write_result(tmp_path, name, scores):
    path = str(tmp_path / name)
    dump_pickle([row for row in scores], path)
    return path


def write_dump(tmp_path, name, scores, names=NAMES, labels=LABELS, order=None):
    order = range(len(scores)) if order is None else order
    path = str(tmp_path / name)
    dump_pickle([dict(pred_score=scores[i], gt_label=labels[i], sample_idx=i, frame_dir=names[i]) for i in order], path)
    return path


def test_load_split_labels_follows_dataset_order(ann):
    ref = load_split_labels(ann, 'val')
    assert ref.names == NAMES
    assert ref.labels.tolist() == LABELS
    assert ref.extra['num_classes'] == 3


def test_fuse_result_pkl_with_ann_file(ann, tmp_path):
    a, b = write_result(tmp_path, 'a.pkl', A), write_result(tmp_path, 'b.pkl', B)
    res = fuse_result_files([a, b], None, ann, 'val')
    (na, ma), (nb, mb) = res['streams']
    assert (na, nb) == ('a', 'b')
    assert ma['top1'] == 0.5 and mb['top1'] == 0.75 and res['fused']['top1'] == 1.0
    assert ma['mean1'] == pytest.approx((1 + 0.5 + 0) / 3)
    assert mb['mean1'] == pytest.approx((0 + 1 + 1) / 3)
    assert ma['top5'] == 1.0  # K = 3 < 5
    np.testing.assert_allclose(res['fused_scores'], A.astype(np.float64) + B)
    res = fuse_result_files([a, b], [2, 1], ann, 'val')
    assert res['fused']['top1'] == 0.75
    assert res['weights'] == [2.0, 1.0]


def test_dumps_are_aligned_by_name_and_mixed_formats(ann, tmp_path):
    a = write_dump(tmp_path, 'a.pkl', A)
    b_shuffled = write_dump(tmp_path, 'b.pkl', B, order=[3, 1, 0, 2])
    loaded = load_results(b_shuffled)
    assert loaded.fmt == 'mmaction' and loaded.names[0] == NAMES[3] and loaded.labels.tolist() == [1, 1, 0, 2]
    # labels from the dumps alone
    res = fuse_result_files([a, b_shuffled])
    assert res['names'] == NAMES
    assert res['fused']['top1'] == 1.0 and [m['top1'] for _, m in res['streams']] == [0.5, 0.75]
    # a result.pkl with a shuffled dump, labels from the annotation file
    res = fuse_result_files([write_result(tmp_path, 'a_out.pkl', A), b_shuffled], [1, 1], ann, 'val')
    assert res['fused']['top1'] == 1.0
    np.testing.assert_allclose(res['scores'][1], B)


def test_refusals(ann, tmp_path):
    a = write_result(tmp_path, 'a.pkl', A)
    with pytest.raises(ValueError, match='different lengths: .*short.pkl has 3 samples'):
        fuse_result_files([a, write_result(tmp_path, 'short.pkl', B[:3])], None, ann, 'val')
    with pytest.raises(ValueError, match='different class counts: .*a.pkl has 3 .*k4.pkl has 4'):
        fuse_result_files([a, write_result(tmp_path, 'k4.pkl', np.pad(B, ((0, 0), (0, 1))))], None, ann, 'val')
    other = NAMES[:3] + ['S009C001P001R001A002']
    with pytest.raises(
        ValueError, match=r"different sample sets: 1 samples .*other.pkl \(e.g. 'S001C001P004R001A002'\)"
    ):
        fuse_result_files([a, write_dump(tmp_path, 'other.pkl', B, names=other)], None, ann, 'val')
    with pytest.raises(ValueError, match=r"labels disagree: sample 2 \('S001C001P003R001A003'\) has label 2"):
        fuse_result_files([a, write_dump(tmp_path, 'lab.pkl', B, labels=[0, 1, 0, 1])], None, ann, 'val')
    with pytest.raises(ValueError, match='no labels: .*--ann-file'):
        fuse_result_files([a, a])
    with pytest.raises(ValueError, match='2 streams need 2 weights'):
        fuse_result_files([a, a], [1], ann, 'val')
    with pytest.raises(ValueError, match='weights must be finite, >= 0'):
        fuse_scores([A, B], [1, -1])
    # the val split has 4 samples; the train split 2 -> length refusal naming the split
    with pytest.raises(ValueError, match="different lengths: .*a.pkl has 4 samples, .*split 'train'"):
        fuse_result_files([a], None, ann, 'train')


def test_bad_files_are_named(tmp_path):
    path = str(tmp_path / 'bad.pkl')
    dump_pickle([A[0], A[1][:2]], path)
    with pytest.raises(ValueError, match='bad.pkl: sample 1 has 2 class scores but sample 0 has 3'):
        load_results(path)
    dump_pickle([dict(pred_score=A[0]), dict(score=A[1])], path)
    with pytest.raises(ValueError, match="bad.pkl: sample 1: field 'pred_score' is missing"):
        load_results(path)
    dump_pickle([np.array([0.5, np.nan])], path)
    with pytest.raises(ValueError, match='bad.pkl: sample 0: the score array contains NaN'):
        load_results(path)
    dump_pickle([dict(pred_score=A[0], gt_label=7)], path)
    with pytest.raises(ValueError, match=r"sample 0: field 'gt_label' = 7 is outside \[0, 3\)"):
        load_results(path)
    dump_pickle({'a': 1}, path)
    with pytest.raises(ValueError, match='bad.pkl: expected a non-empty list'):
        load_results(path)

    class Evil:
        def __reduce__(self):
            return (os.system, ('echo pwned',))

    with open(path, 'wb') as f:
        pickle.dump([Evil()], f)
    with pytest.raises(UnsafePickleError):
        load_results(path)


def test_search_weights_and_helpers():
    labels = np.array(LABELS)
    weights, metrics = search_weights([A, B], labels, grid=(0, 1, 2))
    assert metrics['top1'] == 1.0
    # (0, 1) first reaches 0.75; (1, 1) is the first combination reaching 1.0 in grid order
    assert weights == (1.0, 1.0)
    assert format_weights([2.0, 2.0, 1.0, 1.0]) == '2:2:1:1'
    acc = per_class_accuracy(A, labels, num_classes=4)
    np.testing.assert_allclose(acc[:3], [1.0, 0.5, 0.0])
    assert np.isnan(acc[3])
    assert stream_name('work_dirs/x/jm/result.pkl') == 'jm' and stream_name('/a/b/bm_val.pkl') == 'bm_val'
    scores, lab, names = align_streams([StreamResult(scores=A.astype(float), labels=labels)])
    assert names is None and lab.tolist() == LABELS


def test_fuse_results_cli(ann, tmp_path):
    a, b = write_result(tmp_path, 'a.pkl', A), write_result(tmp_path, 'b.pkl', B)
    label_map = tmp_path / 'map.txt'
    label_map.write_text('alpha\nbeta\ngamma\n')
    out = str(tmp_path / 'fused.pkl')
    cmd = [
        sys.executable,
        os.path.join(REPO, 'tools', 'analysis', 'fuse_results.py'),
        '--preds',
        a,
        b,
        '--weights',
        '1',
        '1',
        '--ann-file',
        ann,
        '--split',
        'val',
        '--out',
        out,
        '--label-map',
        str(label_map),
    ]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout
    lines = proc.stdout.splitlines()
    row = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in ('a', 'b', 'Fusion')}
    assert row['a'][2:] == ['50.00', '100.00', '50.00']
    assert row['b'][2] == '75.00' and row['Fusion'][1:3] == ['1:1', '100.00']
    assert any('gamma' in line and '100.00' in line for line in lines)
    fused = load_results(out)
    np.testing.assert_allclose(fused.scores, A.astype(np.float64) + B, rtol=1e-6)

    # search on one split (here: the same files), applied to the other; a refusal exits non-zero
    proc = subprocess.run(
        cmd[:2]
        + [
            '--preds',
            a,
            b,
            '--ann-file',
            ann,
            '--split',
            'val',
            '--search-preds',
            a,
            b,
            '--search-split',
            'val',
            '--grid',
            '0',
            '1',
            '2',
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout
    assert 'Searched weights on val: 1:1' in proc.stdout
    proc = subprocess.run(
        cmd[:2] + ['--preds', a, write_result(tmp_path, 's.pkl', B[:2]), '--ann-file', ann, '--split', 'val'],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and 'different lengths' in proc.stdout
    # a refusal is one line starting with 'error:', not a traceback
    assert 'Traceback' not in proc.stdout
    assert [ln for ln in proc.stdout.splitlines() if 'different lengths' in ln][0].startswith('error: ')
    proc = subprocess.run(
        cmd[:2] + ['--preds', a, str(tmp_path / 'missing.pkl')],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and proc.stdout.strip().splitlines()[-1].startswith('error: ')
    assert 'missing.pkl' in proc.stdout and 'Traceback' not in proc.stdout


def test_search_weights_refuses_grids_it_cannot_search():
    # 10 values over 6 streams were 10**6 passes over the scores (57 s on 10 samples, unbounded); a grid of zeros
    # ended in "TypeError: 'NoneType' object is not iterable"
    scores = [np.eye(3, dtype=np.float32)] * 6
    labels = np.arange(3)
    with pytest.raises(ValueError, match='1000000 weight combinations'):
        search_weights(scores, labels, grid=range(10))
    with pytest.raises(ValueError, match='one of them > 0'):
        search_weights(scores[:1], labels, grid=(0,))
    with pytest.raises(ValueError, match='finite weights'):
        search_weights(scores[:2], labels, grid=(1, float('nan')))
    assert search_weights(scores, labels, grid=(0, 0.5, 1, 1.5, 2, 3))[1]['top1'] == 1.0  # the default grid, 6 streams


def test_confusion_refuses_more_classes_than_it_can_draw(tmp_path, capsys):
    from pyskl.cli.main import main

    result = tmp_path / 'r.pkl'
    dump_pickle([dict(pred_score=np.zeros(5000, np.float32), gt_label=0)], str(result))  # MMAction2's dump
    assert (
        main(['confusion', str(result), '--out-png', str(tmp_path / 'c.png'), '--out-csv', str(tmp_path / 'c.csv')])
        == 1
    )
    assert '5000 classes; a confusion matrix is drawn for at most 1000' in capsys.readouterr().err

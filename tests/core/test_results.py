"""pyskl.core.results: result files and split labels read without torch and without building a dataset."""

import re
import subprocess
import sys

import numpy as np
import pytest

from pyskl.core.io import dump_pickle
from pyskl.core.results import load_results, load_split_labels, stream_name


@pytest.fixture
def ann(tmp_path):
    """Two splits; 'val' lists its samples in another order than the file (the file order wins, as in PoseDataset)."""
    names = ['S001C001P001R001A001', 'S001C001P002R001A002', 'S001C001P003R001A003', 'S001C001P004R001A002']
    anns = [
        dict(frame_dir=n, label=lb, total_frames=2, keypoint=np.ones((1, 2, 25, 3), np.float32))
        for n, lb in zip(names, [0, 1, 4, 1])
    ]
    path = str(tmp_path / 'ann.pkl')
    dump_pickle(dict(split=dict(train=[names[0]], val=names[:0:-1]), annotations=anns), path)
    return path


def test_split_labels_in_file_order_without_torch_or_a_dataset(ann):
    code = (
        'import sys\n'
        'from pyskl.core.results import load_split_labels\n'
        f'ref = load_split_labels({ann!r}, "val")\n'
        'print(ref.names, ref.labels.tolist(), ref.extra["num_classes"])\n'
        'heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "mmengine", "mmcv")\n'
        '               or m.startswith("pyskl.datasets"))\n'
        'print(heavy)\n'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == ("['S001C001P002R001A002', 'S001C001P003R001A003', 'S001C001P004R001A002'] [1, 4, 1] 5")
    assert out[1] == '[]'


def test_split_labels_refuse_what_the_dataset_refuses(ann, tmp_path):
    with pytest.raises(ValueError, match=r"split 'test' not found; available splits: \['train', 'val'\]"):
        load_split_labels(ann, 'test')
    bad = str(tmp_path / 'bad.pkl')
    dump_pickle([dict(frame_dir='x', label=-1, keypoint=np.ones((1, 2, 25, 3), np.float32))], bad)
    with pytest.raises(ValueError, match=r"bad.pkl.*annotations\[0\].*'x'.*label"):
        load_split_labels(bad)


def test_load_results_both_formats(tmp_path):
    res = str(tmp_path / 'result.pkl')
    dump_pickle([np.array([0.2, 0.8], np.float32), np.array([0.6, 0.4], np.float32)], res)
    r = load_results(res)
    assert r.fmt == 'pyskl' and r.scores.shape == (2, 2) and r.labels is None and r.names is None
    dump = str(tmp_path / 'j' / 'dump.pkl')
    dump_pickle([dict(pred_score=np.array([0.1, 0.9]), gt_label=1, frame_dir='a')], dump)
    d = load_results(dump)
    assert d.fmt == 'mmaction' and d.labels.tolist() == [1] and d.names == ['a']
    assert stream_name(dump) == 'j'


def test_complex_or_textual_scores_are_refused_naming_file_and_sample(tmp_path):
    res = str(tmp_path / 'result.pkl')
    dump_pickle([np.array([0.2, 0.8], np.float32), np.array([0.6, 0.4j])], res)
    with pytest.raises(ValueError, match=r'result.pkl: sample 1: the score array is not a real numeric array'):
        load_results(res)
    dump_pickle([dict(pred_score=np.array(['a', 'b']))], res)
    with pytest.raises(ValueError, match=r"result.pkl: sample 0: field 'pred_score' is not a real numeric array"):
        load_results(res)
    dump_pickle([[0.2, 0.8], np.array([1, 0], np.int64)], res)  # lists and integer scores are read as floats
    assert load_results(res).scores.tolist() == [[0.2, 0.8], [1.0, 0.0]]


@pytest.mark.parametrize(
    'rows, words',
    [
        ([['0.1', '0.9']], 'not a real numeric array (dtype <U3 (text))'),
        ([np.array(['0.1', '0.9'])], 'dtype <U3 (text)'),
        ([[10**400, 0]], 'not a real numeric array (dtype object)'),
        ([dict(pred_score=np.ones(3, np.float32), gt_label=np.uint64(2**64 - 1))], "'gt_label' = 18446744073709551615"),
    ],
)
def test_scores_that_are_not_numbers_are_refused(tmp_path, rows, words):
    # text scores were parsed as numbers (docs/safety.md says they are errors); a 400-digit int and a uint64 label
    # were OverflowError tracebacks
    path = str(tmp_path / 'result.pkl')
    dump_pickle(rows, path)
    with pytest.raises(ValueError, match=re.escape(f'{path}: sample 0: ') + '.*' + re.escape(words)):
        load_results(path)

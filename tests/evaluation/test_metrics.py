import pickle

import numpy as np
import pytest
import torch

from pyskl.evaluation import AccMetric, DumpResults
from pyskl.registry import METRICS


def _preds(scores, labels, idx=None):
    idx = range(len(labels)) if idx is None else idx
    return [
        dict(
            pred_score=torch.tensor(s, dtype=torch.float32),
            gt_label=int(lab),
            sample_idx=int(i),
            frame_dir=f'S001C001P001R001A{i:03d}',
        )
        for s, lab, i in zip(scores, labels, idx)
    ]


SCORES = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.6, 0.1, 0.3]], np.float32)
LABELS = [1, 2, 2, 0]


def test_acc_metric_keys_and_values():
    metric = METRICS.build(dict(type='AccMetric', topk=(1, 2)))
    assert isinstance(metric, AccMetric)
    preds = _preds(SCORES, LABELS)
    metric.process({}, preds[:3])
    metric.process({}, preds[3:])
    out = metric.evaluate(4)
    assert set(out) == {'acc/top1', 'acc/top2', 'acc/mean1'}
    assert out['acc/top1'] == pytest.approx(0.5)
    assert out['acc/top2'] == pytest.approx(0.75)
    # class 0: 1/1, class 1: 1/1, class 2: 0/2
    assert out['acc/mean1'] == pytest.approx(2 / 3)


def test_acc_metric_padded_duplicates_are_dropped():
    metric = AccMetric(metric_list='top_k_accuracy', topk=1)
    preds = _preds(SCORES, LABELS)
    # a distributed sampler pads with the first samples; results arrive interleaved
    padded = [preds[0], preds[2], preds[1], preds[3], preds[0], preds[1]]
    metric.results = []
    metric.process({}, padded)
    res = metric.compute_metrics(metric.results)
    assert res == {'top1': pytest.approx(0.5)}  # without dedupe it would be 4/6


def test_acc_metric_bad_config_and_input():
    with pytest.raises(ValueError, match='unknown metric'):
        AccMetric(metric_list=('top_k_accuracy', 'mAP'))
    with pytest.raises(ValueError, match='topk'):
        AccMetric(topk=(0,))
    metric = AccMetric()
    with pytest.raises(KeyError, match='gt_label'):
        metric.process({}, [dict(pred_score=torch.zeros(3), sample_idx=0, frame_dir='x')])
    with pytest.raises(KeyError, match='pred_score'):
        metric.process({}, [dict(gt_label=0)])


def test_dump_results_pyskl(tmp_path):
    out = tmp_path / 'sub' / 'result.pkl'
    dump = METRICS.build(dict(type='DumpResults', out_file_path=str(out)))
    assert isinstance(dump, DumpResults)  # ours shadows mmengine's in the pyskl scope
    preds = _preds(SCORES, LABELS)
    dump.process({}, [preds[2], preds[0], preds[3], preds[1], preds[0]])
    assert dump.evaluate(5) == {}
    with open(out, 'rb') as f:
        data = pickle.load(f)
    assert isinstance(data, list) and len(data) == 4
    for got, want in zip(data, SCORES):
        assert isinstance(got, np.ndarray) and got.dtype == np.float32 and got.shape == (3,)
        np.testing.assert_array_equal(got, want)


def test_dump_results_mmaction(tmp_path):
    out = tmp_path / 'dump.pkl'
    dump = DumpResults(str(out), fmt='mmaction')
    preds = _preds(SCORES, LABELS, idx=[3, 1, 0, 2])
    dump.process({}, preds)
    dump.evaluate(4)
    with open(out, 'rb') as f:
        data = pickle.load(f)
    assert [d['sample_idx'] for d in data] == [0, 1, 2, 3]
    assert [d['gt_label'] for d in data] == [2, 2, 0, 1]
    assert data[0]['frame_dir'] == 'S001C001P001R001A000'
    np.testing.assert_array_equal(data[0]['pred_score'], SCORES[2])
    assert data[0]['pred_score'].dtype == np.float32


def test_dump_results_bad_args(tmp_path):
    with pytest.raises(ValueError, match='.pkl'):
        DumpResults(str(tmp_path / 'out.json'))
    with pytest.raises(ValueError, match='fmt'):
        DumpResults(str(tmp_path / 'out.pkl'), fmt='csv')

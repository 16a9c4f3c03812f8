"""Helpers shared by the metrics: turn model predictions into plain records and
restore dataset order after distributed gathering."""

from typing import Dict, List, Sequence

import numpy as np


def _to_numpy(value):
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _to_int(value, field: str):
    arr = _to_numpy(value).reshape(-1)
    if arr.size != 1:
        raise ValueError(f'prediction field "{field}" must be a single integer, got shape {arr.shape}')
    return int(arr[0])


def pack_prediction(sample, index_in_batch: int) -> Dict:
    """Convert one output of the model's ``val_step``/``test_step`` to a plain record.

    Args:
        sample (dict | BaseDataElement): ``dict(pred_score=Tensor(K), gt_label=int,
            sample_idx=int, frame_dir=str)``; ``gt_label``, ``sample_idx`` and
            ``frame_dir`` are optional.
        index_in_batch (int): position in the batch, used in error messages.

    Returns:
        dict: ``pred_score`` float32 ``(K,)`` numpy array, and ``gt_label`` (int),
        ``sample_idx`` (int), ``frame_dir`` (str) where present.
    """
    if hasattr(sample, 'to_dict'):
        sample = sample.to_dict()
    if not isinstance(sample, dict) or 'pred_score' not in sample:
        raise KeyError(
            f'prediction {index_in_batch} of the batch has no "pred_score": '
            f'expected dict(pred_score=Tensor(K), gt_label=int, sample_idx=int), '
            f'got {type(sample).__name__}' + (f' with keys {sorted(sample)}' if isinstance(sample, dict) else '')
        )
    score = _to_numpy(sample['pred_score']).astype(np.float32)
    if score.ndim != 1:
        raise ValueError(f'prediction {index_in_batch}: "pred_score" must have shape (K,), got {score.shape}')
    record = dict(pred_score=score)
    for key in ('gt_label', 'sample_idx'):
        if sample.get(key) is not None:
            record[key] = _to_int(sample[key], key)
    if sample.get('frame_dir') is not None:
        record['frame_dir'] = str(sample['frame_dir'])
    return record


def sort_dedupe(results: Sequence[Dict]) -> List[Dict]:
    """Order records by ``sample_idx`` and drop repeated indices (the padding that
    distributed samplers add to give every rank the same number of samples).

    Records without ``sample_idx`` keep their (gathered) order; mixing both kinds is an
    error.
    """
    with_idx = [r for r in results if 'sample_idx' in r]
    if not with_idx:
        return list(results)
    if len(with_idx) != len(results):
        raise ValueError('some predictions carry "sample_idx" and some do not; cannot restore the dataset order')
    seen = {}
    for r in with_idx:
        seen.setdefault(r['sample_idx'], r)
    return [seen[k] for k in sorted(seen)]

"""Pure numpy accuracy functions shared by the metrics and the analysis tools.

``scores`` is a float array ``(N, K)`` (N samples, K classes; any monotone score:
logits or probabilities) and ``labels`` an integer array ``(N,)`` of class indices.

Ranking and ties: the rank of the true class ``l`` of a sample is the number of
classes ``c`` with ``scores[c] > scores[l]``, plus those with ``scores[c] == scores[l]``
and ``c < l``. In other words classes are ordered by descending score with ties broken
towards the lower class index, which is what ``np.argmax`` does, so top-1 accuracy
agrees with ``argmax(scores) == label``.
"""

from typing import List, Optional, Sequence

import numpy as np


def _check_scores_labels(scores, labels):
    """Validate and convert ``scores (N, K)`` and ``labels (N,)`` to numpy."""
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.ndim != 2:
        raise ValueError(f'scores must have shape (N, K), got {scores.shape}')
    if labels.ndim != 1 or labels.shape[0] != scores.shape[0]:
        raise ValueError(
            f'labels must have shape (N,) with N = {scores.shape[0]} (the number of score rows), got {labels.shape}'
        )
    if scores.shape[0] == 0:
        raise ValueError('scores and labels are empty: no sample to evaluate')
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise ValueError(f'labels must be integer class indices, got dtype {labels.dtype}')
        labels = labels.astype(np.int64)
    num_classes = scores.shape[1]
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        raise ValueError(
            f'labels must lie in [0, {num_classes}) (the number of score columns); '
            f'sample {int(bad[0])} has label {int(labels[bad[0]])}'
        )
    if not np.all(np.isfinite(scores)):
        row = int(np.flatnonzero(~np.isfinite(scores).all(axis=1))[0])
        raise ValueError(f'scores contain NaN or inf (first at sample {row})')
    return scores, labels


def label_ranks(scores, labels) -> np.ndarray:
    """Rank of the true class of every sample (0 = ranked first).

    Args:
        scores (array-like): ``(N, K)`` class scores.
        labels (array-like): ``(N,)`` integer labels.

    Returns:
        np.ndarray: ``(N,)`` int64 ranks; ties are broken towards the lower class index
        (see the module docstring).
    """
    scores, labels = _check_scores_labels(scores, labels)
    rows = np.arange(scores.shape[0])
    true_score = scores[rows, labels][:, None]  # (N, 1)
    cls_idx = np.arange(scores.shape[1])[None, :]  # (1, K)
    ahead = (scores > true_score) | ((scores == true_score) & (cls_idx < labels[:, None]))
    return ahead.sum(axis=1).astype(np.int64)


def top_k_accuracy(scores, labels, topk: Sequence[int] = (1, 5)) -> List[float]:
    """Fraction of samples whose label is among the ``k`` best-ranked classes.

    Args:
        scores (array-like): ``(N, K)`` class scores.
        labels (array-like): ``(N,)`` integer labels.
        topk (Sequence[int]): the values of ``k`` (each >= 1). A ``k`` larger than ``K``
            counts every sample as correct.

    Returns:
        list[float]: one accuracy in ``[0, 1]`` per ``k``, in the order of ``topk``.
    """
    if isinstance(topk, int):
        topk = (topk,)
    for k in topk:
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f'topk values must be integers >= 1, got {k!r}')
    ranks = label_ranks(scores, labels)
    return [float(np.mean(ranks < k)) for k in topk]


def mean_class_accuracy(scores, labels) -> float:
    """Mean over classes of the top-1 accuracy of each class.

    Only classes that occur in ``labels`` take part in the mean (as in PYSKL /
    MMAction2's ``mean_class_accuracy``).

    Args:
        scores (array-like): ``(N, K)`` class scores.
        labels (array-like): ``(N,)`` integer labels.

    Returns:
        float: the mean class accuracy in ``[0, 1]``.
    """
    acc = per_class_accuracy(scores, labels)
    return float(np.mean(acc[~np.isnan(acc)]))


def per_class_accuracy(scores, labels, num_classes: Optional[int] = None) -> np.ndarray:
    """Top-1 accuracy of every class: ``(K,)`` float64, NaN for classes without samples.

    Args:
        scores (array-like): ``(N, K)`` class scores.
        labels (array-like): ``(N,)`` integer labels.
        num_classes (int | None): K of the output; defaults to ``scores.shape[1]``.
    """
    scores, labels = _check_scores_labels(scores, labels)
    k = scores.shape[1] if num_classes is None else num_classes
    hit = (label_ranks(scores, labels) == 0).astype(np.float64)
    count = np.bincount(labels, minlength=k)[:k]
    correct = np.bincount(labels, weights=hit, minlength=k)[:k]
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(count > 0, correct / np.maximum(count, 1), np.nan)

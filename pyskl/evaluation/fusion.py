"""Multi-stream score fusion (numpy only): checking that result files describe the same samples, weighted
fusion, fusion-weight search and accuracies; the library behind ``pyskl fuse``
(``tools/analysis/fuse_results.py``). Reading the files is :mod:`pyskl.core.results`.

Streams are aligned by sample name when both the stream and the reference carry names (rows are then
reordered to the reference's order), otherwise by position; any disagreement (length, class count,
sample set, labels) raises a ``ValueError`` naming the files rather than fusing misaligned rows.

Fusion is the weighted sum ``sum_i w_i * scores_i`` of the stored scores (probabilities with the
default ``average_clips='prob'``), as in PYSKL's model-zoo 2-stream (J:B = 1:1) and 4-stream
(J:B:JM:BM = 2:2:1:1) numbers.
"""

import itertools
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from pyskl.core.results import StreamResult, load_results, load_split_labels, stream_name

from .functional import mean_class_accuracy, top_k_accuracy

__all__ = ['align_streams', 'fuse_scores', 'evaluate_scores', 'search_weights', 'STREAM_WEIGHTS', 'fuse_result_files']

#: The model zoos' fusion weights: PYSKL's 2- and 4-stream, ProtoGCN's 6-stream (with the K-bone streams).
STREAM_WEIGHTS = {
    '2s': {'j': 1, 'b': 1},
    '4s': {'j': 2, 'b': 2, 'jm': 1, 'bm': 1},
    '6s': {'j': 2, 'b': 2, 'k': 2, 'jm': 1, 'bm': 1, 'km': 1},
}


def align_streams(
    streams: Sequence[StreamResult], reference: Optional[StreamResult] = None
) -> Tuple[List[np.ndarray], np.ndarray, Optional[List[str]]]:
    """Check that ``streams`` predict the same samples and return their rows in one order.

    Args:
        streams (Sequence[StreamResult]): one result per stream.
        reference (StreamResult, optional): labels and names from the annotation file
            (:func:`load_split_labels`). Without it, the first stream that has labels is the reference.

    Returns:
        tuple: ``scores`` (list of ``(N, K)`` arrays, one per stream, rows in the reference's order),
        ``labels (N,)`` and ``names`` (the reference's N sample names, or None if it has none).
        A stream with names is reordered by name to the reference's order; one without (a PYSKL
        ``result.pkl``) is taken to be in the reference's order.

    Raises:
        ValueError: different lengths, class counts or sample sets, labels that disagree, or no labels
        at all (a PYSKL ``result.pkl`` needs ``--ann-file``).
    """
    if not streams:
        raise ValueError('no result file given')
    ref = reference
    if ref is None:
        ref = next((s for s in streams if s.labels is not None), None)
        if ref is None:
            raise ValueError(
                'no labels: ' + ', '.join(s.source for s in streams) + ' carry no gt_label '
                '(PYSKL result.pkl files); give the annotation file and split (--ann-file, --split)'
            )
    n = len(ref)
    k = streams[0].num_classes
    for s in streams:
        if s.num_classes != k:
            raise ValueError(
                f'different class counts: {streams[0].source} has {k} class scores per sample, '
                f'{s.source} has {s.num_classes}'
            )
    num_classes = ref.extra.get('num_classes')
    if num_classes is not None and num_classes > k:
        raise ValueError(
            f'{ref.source} has labels up to {num_classes - 1} but the results have only {k} '
            f'class scores ({streams[0].source})'
        )
    out = []
    for s in streams:
        if len(s) != n:
            raise ValueError(
                f'different lengths: {s.source} has {len(s)} samples, {ref.source} has {n}; '
                'were they tested on the same split?'
            )
        if ref.names is not None and s.names is not None:
            index = {name: i for i, name in enumerate(s.names)}
            missing = [name for name in ref.names if name not in index]
            if missing:
                extra = sorted(set(s.names) - set(ref.names))
                raise ValueError(
                    f'different sample sets: {len(missing)} samples of {ref.source} are not in '
                    f'{s.source} (e.g. {missing[0]!r})' + (f'; it has {extra[0]!r} instead' if extra else '')
                )
            order = np.asarray([index[name] for name in ref.names])
        else:
            order = np.arange(n)
        if s.labels is not None and s is not ref:
            diff = np.flatnonzero(s.labels[order] != ref.labels)
            if diff.size:
                i = int(diff[0])
                name = f' ({ref.names[i]!r})' if ref.names is not None else ''
                raise ValueError(
                    f'labels disagree: sample {i}{name} has label {int(ref.labels[i])} in {ref.source} '
                    f'but {int(s.labels[order[i]])} in {s.source} ({diff.size} samples differ); '
                    'the files are misaligned or come from different splits'
                )
        out.append(s.scores[order])
    return out, ref.labels.copy(), (list(ref.names) if ref.names is not None else None)


def _check_weights(num_streams: int, weights: Optional[Sequence[float]]) -> np.ndarray:
    if weights is None:
        return np.ones(num_streams)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (num_streams,):
        raise ValueError(f'{num_streams} streams need {num_streams} weights, got {weights.tolist()}')
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(f'weights must be finite, >= 0 and not all 0, got {weights.tolist()}')
    return weights


def fuse_scores(scores: Sequence[np.ndarray], weights: Optional[Sequence[float]] = None) -> np.ndarray:
    """Weighted sum of aligned stream scores.

    Args:
        scores (Sequence[np.ndarray]): S arrays ``(N, K)`` (see :func:`align_streams`).
        weights (Sequence[float], optional): S non-negative weights; default all 1.

    Returns:
        np.ndarray: float64 ``(N, K)`` ``sum_i weights[i] * scores[i]``.
    """
    if not scores:
        raise ValueError('no scores to fuse')
    shape = np.shape(scores[0])
    for i, s in enumerate(scores):
        if np.shape(s) != shape or len(shape) != 2:
            raise ValueError(f'stream {i} has scores of shape {np.shape(s)}, stream 0 {shape}; all must be (N, K)')
    weights = _check_weights(len(scores), weights)
    return sum(w * np.asarray(s, dtype=np.float64) for w, s in zip(weights, scores))


def evaluate_scores(scores: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
    """``{'top1', 'top5', 'mean1'}`` accuracies in ``[0, 1]`` of ``scores (N, K)`` against ``labels (N,)``."""
    top1, top5 = top_k_accuracy(scores, labels, (1, 5))
    return dict(top1=top1, top5=top5, mean1=mean_class_accuracy(scores, labels))


#: Most weight combinations :func:`search_weights` tries (6 streams x 6 grid values: 46,656).
MAX_COMBINATIONS = 100_000


def search_weights(
    scores: Sequence[np.ndarray], labels: np.ndarray, grid: Sequence[float] = (0, 0.5, 1, 1.5, 2, 3)
) -> Tuple[Tuple[float, ...], Dict[str, float]]:
    """Exhaustive search of fusion weights on one split.

    Every combination of ``grid`` values is tried (all-zero excluded; a combination proportional to
    one already tried is skipped, as scaling the weights does not change the ranking). The best
    combination maximises Top-1, then mean class accuracy, then is the earliest in grid order
    (deterministic).

    Args:
        scores (Sequence[np.ndarray]): S aligned ``(N, K)`` score arrays.
        labels (np.ndarray): ``(N,)`` labels.
        grid (Sequence[float]): candidate weights (>= 0).

    Returns:
        tuple: the best weights (S floats) and their accuracies (see :func:`evaluate_scores`).
    """
    grid = sorted(set(float(g) for g in grid))
    if not grid or grid[0] < 0 or not all(math.isfinite(g) for g in grid) or grid[-1] == 0:
        raise ValueError(f'grid must hold finite weights >= 0, one of them > 0, got {grid}')
    combos = len(grid) ** len(scores)
    if combos > MAX_COMBINATIONS:  # each is a pass over the (N, K) scores
        raise ValueError(
            f'{len(grid)} grid values for {len(scores)} streams are {combos} weight combinations (at most '
            f'{MAX_COMBINATIONS}); use fewer --grid values'
        )
    best_key, best = None, None
    seen = set()
    for combo in itertools.product(grid, repeat=len(scores)):
        total = sum(combo)
        if total <= 0:
            continue
        normalised = tuple(round(c / total, 9) for c in combo)
        if normalised in seen:  # a multiple of a combination already tried
            continue
        seen.add(normalised)
        fused = fuse_scores(scores, combo)
        hit = np.argmax(fused, axis=1) == labels
        top1 = float(hit.mean())
        if best_key is not None and top1 < best_key[0]:
            continue
        mean1 = mean_class_accuracy(fused, labels)
        key = (top1, mean1)
        if best_key is None or key > best_key:
            best_key, best = key, combo
    return tuple(best), evaluate_scores(fuse_scores(scores, best), labels)


def fuse_result_files(
    paths: Sequence[str],
    weights: Optional[Sequence[float]] = None,
    ann_file: Optional[str] = None,
    split: Optional[str] = None,
) -> dict:
    """Read, align, evaluate and fuse result files (the core of ``tools/analysis/fuse_results.py``).

    Args:
        paths (Sequence[str]): S result files (PYSKL ``result.pkl`` and/or MMAction2 dumps).
        weights (Sequence[float], optional): S fusion weights; default all 1.
        ann_file (str, optional): annotation file for labels and sample names (needed for
            ``result.pkl`` files); with ``split`` (e.g. ``'xsub_val'``).

    Returns:
        dict: ``streams`` (list of S ``(name, metrics)``), ``weights`` (S floats), ``fused`` (metrics),
        ``scores`` (S aligned ``(N, K)`` arrays), ``fused_scores (N, K)``, ``labels (N,)``,
        ``names`` (N sample names or None); metrics as in :func:`evaluate_scores`.
    """
    streams = [load_results(p) for p in paths]
    weights = _check_weights(len(streams), weights)
    reference = load_split_labels(ann_file, split) if ann_file is not None else None
    if reference is None and split is not None:
        raise ValueError('--split needs --ann-file')
    scores, labels, names = align_streams(streams, reference)
    fused = fuse_scores(scores, weights)
    return dict(
        streams=[(stream_name(p), evaluate_scores(s, labels)) for p, s in zip(paths, scores)],
        weights=[float(w) for w in weights],
        fused=evaluate_scores(fused, labels),
        scores=scores,
        fused_scores=fused,
        labels=labels,
        names=names,
    )

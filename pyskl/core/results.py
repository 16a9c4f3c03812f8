"""Reading test-result files and the labels they are scored against (numpy and the standard library only).

Result files (read with :func:`pyskl.core.io.safe_load_pickle`, so no file can run code):

- PYSKL / pyskl ``result.pkl`` (``tools/test.py --out``): a list of N float ``(K,)`` score arrays in
  dataset order. It carries neither labels nor sample names: they come from the annotation file and
  split (:func:`load_split_labels`), in the same order as :class:`~pyskl.datasets.PoseDataset`.
- MMAction2 / pyskl dump (``tools/test.py --dump``): a list of N dicts with ``pred_score`` (``(K,)``)
  and, optionally, ``gt_label`` (int), ``sample_idx`` (int) and ``frame_dir`` (str).

The fusion of several such files is :mod:`pyskl.evaluation.fusion`.
"""

import os.path as osp
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from .io import safe_load_pickle

__all__ = ['StreamResult', 'load_results', 'load_split_labels', 'stream_name']


@dataclass
class StreamResult:
    """The predictions of one test run.

    Attributes:
        scores (np.ndarray): float64 ``(N, K)`` class scores.
        labels (np.ndarray | None): int64 ``(N,)`` ground-truth labels, if the file has them.
        names (list[str] | None): ``N`` sample names (``frame_dir``), if the file has them.
        source (str): where the predictions came from (a file path), for messages.
        fmt (str): ``'pyskl'`` (list of arrays) or ``'mmaction'`` (list of dicts).
    """

    scores: np.ndarray
    labels: Optional[np.ndarray] = None
    names: Optional[List[str]] = None
    source: str = '<memory>'
    fmt: str = 'pyskl'
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @property
    def num_classes(self) -> int:
        return int(self.scores.shape[1])


def _score_row(value, path: str, i: int, where: str) -> np.ndarray:
    try:
        row = np.asarray(value)
        if row.dtype.kind not in 'biuf':  # complex: the cast drops the imaginary part; text ('0.1') would parse
            raise ValueError(f'dtype {row.dtype}' + (' (text)' if row.dtype.kind in 'US' else ''))
        row = row.astype(np.float64)
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError(f'{path}: sample {i}: {where} is not a real numeric array ({e})') from None
    if row.ndim != 1 or row.size == 0:
        raise ValueError(f'{path}: sample {i}: {where} must be a non-empty (K,) array, got shape {row.shape}')
    if not np.all(np.isfinite(row)):
        raise ValueError(f'{path}: sample {i}: {where} contains NaN or inf')
    return row


def load_results(path: str) -> StreamResult:
    """Read a PYSKL ``result.pkl`` or an MMAction2 dump.

    Args:
        path (str): the pickle file.

    Returns:
        StreamResult: ``scores (N, K)``; ``labels``/``names`` from a dump when every entry has them.

    Raises:
        ValueError: naming the file, the sample and the field, for anything but a non-empty list of
        ``(K,)`` arrays or of dicts with ``pred_score`` with one K throughout.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'result file not found: {path}')
    data = safe_load_pickle(path)
    if not isinstance(data, (list, tuple)) or len(data) == 0:
        raise ValueError(
            f'{path}: expected a non-empty list of (K,) score arrays (PYSKL result.pkl) or of dicts '
            f'with pred_score (MMAction2 dump), got {type(data).__name__}'
            + (' of length 0' if isinstance(data, (list, tuple)) else '')
        )
    is_dump = isinstance(data[0], dict)
    rows, labels, names = [], [], []
    for i, item in enumerate(data):
        if isinstance(item, dict) != is_dump:
            raise ValueError(
                f'{path}: sample {i} is a {type(item).__name__} but sample 0 is a '
                f'{type(data[0]).__name__}: mixed formats'
            )
        if is_dump:
            if 'pred_score' not in item:
                raise ValueError(f"{path}: sample {i}: field 'pred_score' is missing (keys: {sorted(map(str, item))})")
            rows.append(_score_row(item['pred_score'], path, i, "field 'pred_score'"))
            label = item.get('gt_label')
            if label is not None:
                label = np.asarray(label).reshape(-1)
                if label.size != 1 or not np.issubdtype(label.dtype, np.integer):
                    raise ValueError(f"{path}: sample {i}: field 'gt_label' must be one integer, got {label!r}")
                label = int(label[0])
                if not 0 <= label < 2**62:
                    raise ValueError(f"{path}: sample {i}: field 'gt_label' = {label} is not a class index")
            labels.append(label)
            name = item.get('frame_dir')
            names.append(name if isinstance(name, str) else None)
        else:
            rows.append(_score_row(item, path, i, 'the score array'))
        if rows[-1].shape[0] != rows[0].shape[0]:
            raise ValueError(
                f'{path}: sample {i} has {rows[-1].shape[0]} class scores but sample 0 has {rows[0].shape[0]}'
            )
    scores = np.stack(rows)
    result = StreamResult(scores=scores, source=str(path), fmt='mmaction' if is_dump else 'pyskl')
    if is_dump and all(lb is not None for lb in labels):
        result.labels = np.asarray(labels, dtype=np.int64)
        bad = np.flatnonzero((result.labels < 0) | (result.labels >= scores.shape[1]))
        if bad.size:
            raise ValueError(
                f"{path}: sample {int(bad[0])}: field 'gt_label' = {int(result.labels[bad[0]])} is "
                f'outside [0, {scores.shape[1]}) (the number of class scores)'
            )
    if is_dump and all(n is not None for n in names):
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ValueError(f"{path}: field 'frame_dir' repeats sample {dup!r}")
        result.names = names
    return result


def load_split_labels(ann_file: str, split: Optional[str] = None) -> StreamResult:
    """Labels and names of a split, in the order the test set uses: that of
    :class:`~pyskl.datasets.PoseDataset`, read by the same :func:`pyskl.core.annotations.load_annotations`
    (so the same load-time validation applies), without building a dataset.

    Returns:
        StreamResult: with ``scores`` of shape ``(N, 0)`` (no predictions), ``labels (N,)`` and ``names``;
        ``extra['num_classes']`` is the split's class count (``max(label) + 1``, as the dataset's).
    """
    from .annotations import load_annotations

    infos, _ = load_annotations(ann_file, split, value_checks='ignore')
    labels = np.asarray([int(x['label']) for x in infos], dtype=np.int64)
    source = f'{ann_file}' + (f' (split {split!r})' if split is not None else '')
    return StreamResult(
        scores=np.zeros((len(infos), 0)),
        labels=labels,
        names=[str(x['frame_dir']) for x in infos],
        source=source,
        fmt='annotation',
        extra=dict(num_classes=int(labels.max()) + 1),
    )


def stream_name(path: str) -> str:
    """A short name for a result file: its parent folder for the generic names ``result.pkl`` /
    ``dump.pkl`` (``work_dirs/.../j/result.pkl`` -> ``j``), else the file name without extension."""
    stem = osp.splitext(osp.basename(path))[0]
    if stem in ('result', 'results', 'dump', 'pred', 'preds'):
        parent = osp.basename(osp.dirname(osp.abspath(path)))
        return parent or stem
    return stem

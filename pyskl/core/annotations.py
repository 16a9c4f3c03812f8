"""Reading one split of a PYSKL / MMAction2 annotation file, validated (numpy and the standard library only).

The load-time path of :class:`~pyskl.datasets.PoseDataset` and of the label reader behind fusion
(:func:`pyskl.core.results.load_split_labels`): one function, so both see the same samples in the same order
and refuse the same files. The checks themselves are in :mod:`pyskl.core.validation` (per sample) and
:mod:`pyskl.core.splits` (the file and its splits).
"""

from typing import List, Optional, Tuple

import numpy as np

from .io import safe_load_pickle
from .splits import check_ann_path, check_split_overlap, parse_file, select_split
from .validation import Problems, check_consistency, check_duplicates, check_sample

__all__ = ['load_annotations', 'filter_valid_ratio']


def load_annotations(
    ann_file: str,
    split: Optional[str] = None,
    num_node: Optional[int] = None,
    layout=None,
    num_classes: Optional[int] = None,
    value_checks: str = 'warn',
    value_bound: Optional[float] = None,
) -> Tuple[List[dict], str]:
    """Read ``ann_file`` (:func:`~pyskl.core.io.safe_load_pickle`), select ``split`` and validate every sample.

    Args:
        ann_file (str): the annotation pickle.
        split (str | None): split name (None for a bare-list file).
        num_node, layout, num_classes, value_checks, value_bound: as :class:`~pyskl.datasets.PoseDataset`'s
            arguments (``num_node`` is the layout's stored joint count).

    Returns:
        tuple: the annotation dicts of the split in file order, and the warning report (``''`` if none).

    Raises:
        IsADirectoryError: ``ann_file`` is a directory.
        ValueError: one message listing the problems (file, ``annotations[i]`` with its ``frame_dir``, field).
    """
    check_ann_path(ann_file)
    raw = safe_load_pickle(ann_file)
    annotations, splits = parse_file(raw, ann_file)
    problems = Problems(ann_file)
    selected = select_split(annotations, splits, split, ann_file, problems)
    data_list = [
        check_sample(
            i,
            ann,
            problems,
            num_node=num_node,
            layout=layout,
            num_classes=num_classes,
            value_checks=value_checks,
            value_bound=value_bound,
        )
        for i, ann in selected
    ]
    check_duplicates(selected, problems)
    check_consistency(selected, problems, joints=num_node is None)
    check_split_overlap(splits, split, ann_file, problems)
    context = f'split {split!r}' if split is not None else 'the file'
    problems.raise_if_any(context)
    value_warnings = any(k.endswith(('all zero', 'magnitude')) for k in problems.counts('warning'))
    hint = (
        "value_checks='error' makes all-zero / out-of-bound samples errors, 'ignore' silences them"
        if value_warnings
        else ''
    )
    return data_list, problems.format('warning', context, hint)


def filter_valid_ratio(
    data_list: List[dict], valid_ratio: Optional[float], box_thr, source: str, split: Optional[str] = None
) -> Tuple[List[dict], str]:
    """PYSKL's 2D-detection filter: keep the samples with ``ann['valid'][box_thr] / total_frames >= valid_ratio``
    and set ``ann['anno_inds'] = ann['box_score'] >= box_thr`` (samples without ``valid`` are kept); then drop
    ``valid`` / ``box_score`` from every sample. Nothing is filtered when ``valid_ratio`` is None or 0.

    Returns:
        tuple: the kept samples and a one-line report (``''`` when nothing was filtered).

    Raises:
        ValueError: a sample's ``valid`` has no entry for ``box_thr``, or no sample is left.
    """
    report = ''
    if valid_ratio is not None and valid_ratio > 0:
        kept = []
        for info in data_list:
            valid = info.get('valid')
            if valid is None:
                kept.append(info)
                continue
            if not isinstance(valid, dict) or box_thr not in valid:
                keys = sorted(valid) if isinstance(valid, dict) else type(valid).__name__
                raise ValueError(
                    f"{source}: sample frame_dir={info['frame_dir']!r}: field 'valid': "
                    f'no entry for box_thr={box_thr!r} (has {keys})'
                )
            if valid[box_thr] / info['total_frames'] < valid_ratio:
                continue
            if 'box_score' in info:
                info['anno_inds'] = np.asarray(info['box_score']) >= box_thr
            kept.append(info)
        if not kept:
            raise ValueError(
                f'{source}: no sample of {split!r} is left after valid_ratio='
                f'{valid_ratio} filtering (box_thr={box_thr})'
            )
        report = f'{source}: {len(kept)} of {len(data_list)} samples remain after valid_ratio={valid_ratio} filtering'
        data_list = kept
    for info in data_list:
        info.pop('valid', None)
        info.pop('box_score', None)
    return data_list, report

"""The file and split level of annotation-file validation (numpy and the standard library only).

What :mod:`pyskl.core.validation` checks per sample, this module checks for the file as a whole: its structure
(``dict(split=..., annotations=[...])`` or a bare list; a directory given as the file), the chosen split (missing,
empty, not a list of ``frame_dir`` strings, a name listed twice, names without an annotation, samples without an
identifier) and samples shared by a split and its counterpart (``*train*`` vs ``*val*`` / ``*test*``). Problems
go to a :class:`~pyskl.core.validation.Problems` and name the file, the split and the field.
"""

import os
import os.path as osp
from collections import Counter
from typing import List, Optional, Tuple

import numpy as np

from .reprs import short_repr
from .validation import Problems, identifier

__all__ = [
    'check_ann_path',
    'parse_file',
    'split_names',
    'select_split',
    'counterpart_splits',
    'check_split_overlap',
]

#: Split-name tokens whose samples must not appear in the paired training split.
_EVAL_TOKENS = ('val', 'test')


def check_ann_path(path: str) -> None:
    """Refuse a directory given as the annotation file with a message saying so (and naming the
    pickles inside); a missing path is left to the loader (``FileNotFoundError``)."""
    if osp.isdir(path):
        try:
            pickles = sorted(n for n in os.listdir(path) if n.endswith('.pkl'))
        except OSError:
            pickles = []
        inside = (
            f'; pickles in it: {", ".join(pickles[:5])}' + (' ...' if len(pickles) > 5 else '')
            if pickles
            else '; it holds no .pkl file'
        )
        raise IsADirectoryError(f'{path}: is a directory, not an annotation pickle: give the .pkl file{inside}')


def parse_file(raw, source: str) -> Tuple[list, Optional[dict]]:
    """``(annotations, splits)`` of a loaded annotation file (``splits`` None for the bare-list format).

    Raises:
        ValueError: if the file is neither ``dict(split=..., annotations=[...])`` nor a list.
    """
    if isinstance(raw, dict):
        if 'annotations' not in raw:
            raise ValueError(
                f'{source}: expected dict(split=..., annotations=[...]) or a list of annotation '
                f'dicts, got a dict with keys {sorted(map(str, raw))}'
            )
        annotations, splits = raw['annotations'], raw.get('split')
    elif isinstance(raw, (list, tuple)):
        annotations, splits = raw, None
    else:
        raise ValueError(
            f'{source}: expected dict(split=..., annotations=[...]) or a list of annotation '
            f'dicts, got {type(raw).__name__}'
        )
    if not isinstance(annotations, (list, tuple)):
        raise ValueError(f"{source}: field 'annotations' must be a list of dicts, got {type(annotations).__name__}")
    if splits is not None and not isinstance(splits, dict):
        raise ValueError(
            f"{source}: field 'split' must be a dict {{name: [frame_dir, ...]}}, got {type(splits).__name__}"
        )
    return list(annotations), splits


def split_names(splits: dict, name: str, source: str) -> List[str]:
    """The ``frame_dir`` names of split ``name``, checked to be a list of strings.

    Raises:
        ValueError: if the split is a string (a common slip: ``split=dict(train='S001...')`` or a
            name instead of a list), another non-list, or holds a non-string.
    """
    names = splits[name]
    if isinstance(names, (str, bytes, dict)):
        raise ValueError(
            f"{source}: field 'split': split {short_repr(name)} is a {type(names).__name__} ({short_repr(names)}); "
            "it must be a list of frame_dir names, e.g. split=dict(train=['S001C001P001R001A001', "
            '...])'
        )
    if isinstance(names, np.ndarray):
        names = names.tolist()
    if not isinstance(names, (list, tuple, set, frozenset)):
        raise ValueError(
            f"{source}: field 'split': split {short_repr(name)} must be a list of frame_dir names, "
            f'got {type(names).__name__}'
        )
    names = list(names)
    for value in names:
        if not isinstance(value, str):
            raise ValueError(
                f"{source}: field 'split': split {short_repr(name)} must list frame_dir names (str), "
                f'got {short_repr(value)} ({type(value).__name__})'
            )
    return names


def select_split(
    annotations: list, splits: Optional[dict], split: Optional[str], source: str, problems: Problems
) -> List[Tuple[int, object]]:
    """``(index in the annotation list, annotation)`` of the samples of ``split``, in file order.

    Structural errors raise at once (``ValueError``); a split name listed twice, a split none of whose
    names matches an annotation, and samples without an identifier (which no split can select) go to
    ``problems`` as errors; split names without an annotation as a warning. Non-dict annotations are kept, for
    :func:`~pyskl.core.validation.check_sample` to report.
    """
    if split is None:
        if splits:
            raise ValueError(
                f'{source}: the file has the splits {sorted(splits)}; choose one with split=<name> '
                '(split=None would mix training and evaluation samples)'
            )
        if not annotations:
            raise ValueError(f'{source}: the file holds no annotations')
        return list(enumerate(annotations))
    if splits is None:
        raise ValueError(
            f'{source}: the file has no splits (a bare list of annotations, the old format, or split=None); '
            f'use split=None instead of split={split!r}'
        )
    if not splits:
        raise ValueError(f"{source}: split={split!r} requested but the file has no 'split' dict; use split=None")
    if split not in splits:
        available = short_repr(sorted(map(str, splits)))
        raise ValueError(f'{source}: split {split!r} not found; available splits: {available}')
    listed = split_names(splits, split, source)
    if not listed:
        raise ValueError(f'{source}: split {split!r} is empty')
    names = set(listed)
    if len(names) < len(listed):
        repeated = [n for n, c in Counter(listed).items() if c > 1]
        problems.add(
            '',
            'split',
            'repeated name',
            f'split {split!r} lists {len(repeated)} name(s) more than once (e.g. {short_repr(repeated[0])})',
        )
    selected, found = [], set()
    for i, ann in enumerate(annotations):
        if not isinstance(ann, dict):
            selected.append((i, ann))  # reported by check_sample
            continue
        name = identifier(ann)
        if name is None:
            problems.add(
                f'sample annotations[{i}] (frame_dir=None)',
                'frame_dir',
                'missing',
                'missing (no frame_dir, filename or identifier): no split can select it',
            )
        elif not isinstance(name, str):
            problems.add(
                f'sample annotations[{i}] (frame_dir={short_repr(name)})',
                'frame_dir',
                'type',
                f'must be a str, got {type(name).__name__}: no split can select it',
            )
        elif name in names:
            selected.append((i, ann))
            found.add(name)
    if not found:
        problems.add(
            '',
            'split',
            'no match',
            f'none of the {len(names)} names of split {split!r} matches the '
            f'frame_dir of an annotation (e.g. {short_repr(min(names))})',
        )
    elif len(found) < len(names):
        missing = sorted(names - found)
        problems.add(
            '',
            'split',
            'no annotation',
            f'{len(missing)} of the {len(names)} names of split {split!r} have no annotation '
            f'(e.g. {short_repr(missing[0])}); they are skipped',
            level='warning',
        )
    return selected


def counterpart_splits(split: str, splits: dict) -> List[str]:
    """The splits whose samples must not overlap ``split``: for a name with ``train`` the same name
    with ``val`` / ``test``; for one with ``val`` / ``test`` the same name with ``train``
    (e.g. ``xsub_train`` <-> ``xsub_val``; ``xview_*`` is another protocol and is not paired)."""
    if 'train' in split:
        candidates = [split.replace('train', token) for token in _EVAL_TOKENS]
    else:
        candidates = [split.replace(token, 'train') for token in _EVAL_TOKENS if token in split]
    return [name for name in candidates if name != split and name in splits]


def check_split_overlap(
    splits: Optional[dict], split: Optional[str], source: str, problems: Problems, max_examples: int = 3
) -> None:
    """Warn when ``split`` shares sample names with a counterpart split (:func:`counterpart_splits`).
    Counterparts that are not valid lists of names are skipped here (their own loading reports them)."""
    if not splits or split is None or split not in splits:
        return
    try:
        names = set(split_names(splits, split, source))
    except ValueError:
        return
    for other in counterpart_splits(split, splits):
        try:
            shared = names.intersection(split_names(splits, other, source))
        except ValueError:
            continue
        if shared:
            examples = ', '.join(short_repr(n) for n in sorted(shared)[:max_examples])
            problems.add(
                '',
                'split',
                'overlap',
                f'split {split!r} shares {len(shared)} sample(s) with split {short_repr(other)} (e.g. {examples}): '
                'they are trained on and evaluated',
                level='warning',
            )

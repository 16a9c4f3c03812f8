"""Validation of PYSKL / MMAction2 skeleton annotation files (numpy and the standard library only).

Used by :class:`~pyskl.datasets.PoseDataset` at load time and by ``tools/misc/inspect_data.py``
(:mod:`pyskl.datasets.inspection`); the checks of the file's structure and of its splits (summarised below too) are
in :mod:`pyskl.core.splits`. Every problem names the file, the sample as ``annotations[i]``
with its ``frame_dir``, and the field; problems are collected in a :class:`Problems` and reported
together (the first of every kind, then counts of all).

Errors (the dataset refuses to load):

- structure: not ``dict(split=..., annotations=[...])`` / a list; a directory given as the file;
  the chosen split missing, empty, not a list of ``frame_dir`` strings (e.g. a single string),
  or listing a name twice;
- identifiers: a sample without ``frame_dir`` (``filename`` / ``identifier``) in a file with splits
  (no split can select it), or with one that is not a str; two annotations of one split with the same
  ``frame_dir`` (reported with both indices and whether their labels agree);
- per sample: ``label`` missing, not an int, negative or ``>= num_classes``; ``keypoint`` missing,
  not a numeric array ``(M, T, V, C)`` with ``C`` in {2, 3}, ``M = 0`` persons, ``T = 0`` frames,
  ``V`` other than the layout's, NaN/Inf; ``total_frames`` disagreeing with ``T``;
  ``keypoint_score`` missing for 2D, of another shape than ``(M, T, V)``, NaN/Inf; ``img_shape`` (when
  present) not two finite positive numbers ``(h, w)``;
- per split: samples whose ``V`` or ``C`` differs from most samples' (they cannot share a batch);
- compressed samples (PYSKL's Kinetics-400 format, :mod:`pyskl.core.compressed`): ``frame_inds`` empty or not a
  non-decreasing 1-D int array within ``total_frames``, ``keypoint`` not ``(N, V, 3)`` for its ``N`` instances
  or NaN/Inf, ``box_score`` of another length, ``raw_file`` not a path (its kpfile is read and checked when the
  sample is loaded).

Value checks (``value_checks='warn'`` by default, ``'error'`` or ``'ignore'``): a sample whose
coordinates are all zero, and coordinates with ``|x| > value_bound`` (default
:data:`VALUE_BOUND_3D` = 1e4 for 3D data, i.e. 10 km in metres or 10 m in millimetres;
:data:`VALUE_BOUND_2D` = 1e5 for 2D pixel data, 25x a 4K frame).

Warnings only: split names without an annotation (skipped); samples shared by a split and its
counterpart (``*train*`` vs ``*val*`` / ``*test*`` with the same prefix, e.g. ``xsub_train`` and
``xsub_val``; ``xsub_*`` vs ``xview_*`` are different protocols and are not compared).

Every check is a handful of whole-array reductions per sample (no Python loop over frames or
joints), so the 114k samples of NTU-120 validate in seconds.
"""

from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .compressed import check_compressed, is_compressed
from .reprs import short_repr

__all__ = [
    'IDENTIFIER_KEYS',
    'MAX_LISTED_PROBLEMS',
    'VALUE_BOUND_2D',
    'VALUE_BOUND_3D',
    'VALUE_CHECKS',
    'Problems',
    'identifier',
    'is_int',
    'check_options',
    'as_img_shape',
    'check_sample',
    'check_duplicates',
    'check_consistency',
    'value_bound_for',
]

#: Keys that name a sample, in order of preference. PYSKL uses ``frame_dir``; some MMAction2
#: annotation files use ``filename`` (MMAction2 calls the chosen key the "identifier").
IDENTIFIER_KEYS = ('frame_dir', 'filename', 'identifier')

#: How many problems a report lists before summarising the rest.
MAX_LISTED_PROBLEMS = 10

#: Default bound on ``|x|`` for 3D coordinates (NTU: metres, |x| < 10; millimetre data < 1e4).
VALUE_BOUND_3D = 1e4
#: Default bound on ``|x|`` for 2D coordinates (pixels; a 4K frame is 3840 wide).
VALUE_BOUND_2D = 1e5

#: Accepted values of ``value_checks``.
VALUE_CHECKS = ('warn', 'error', 'ignore')


def is_int(value) -> bool:
    """An int or numpy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_options(
    owner: str,
    num_classes: Optional[int] = None,
    num_node: Optional[int] = None,
    value_checks: str = 'warn',
    value_bound: Optional[float] = None,
) -> None:
    """The validation options of :class:`~pyskl.datasets.PoseDataset` / ``inspect_annotations``, checked before any
    file is read (``num_classes=0`` or a NaN bound would otherwise pass or fail every sample for the wrong reason).

    Raises:
        ValueError: naming ``owner`` and the option.
    """
    for name, value in (('num_classes', num_classes), ('num_node', num_node)):
        if value is not None and (not is_int(value) or value < 1):
            raise ValueError(f'{owner}: {name} must be a positive int or None, got {value!r}')
    if value_checks not in VALUE_CHECKS:
        raise ValueError(f'{owner}: value_checks must be one of {VALUE_CHECKS}, got {value_checks!r}')
    if value_bound is not None and (
        isinstance(value_bound, bool) or not isinstance(value_bound, (int, float)) or not value_bound > 0
    ):
        raise ValueError(f'{owner}: value_bound must be a positive number or None, got {value_bound!r}')


def as_img_shape(value) -> Optional[Tuple[float, float]]:
    """``value`` as an image size ``(h, w)`` of two finite numbers >= 1 (ints or floats, numpy scalars included; no
    bools or strings), or None when it is not one (``(1e-9, 1e-9)`` scaled the coordinates to garbage)."""
    try:
        if isinstance(value, (str, bytes)) or len(value) != 2:
            return None
    except TypeError:  # no len(): None, a number
        return None
    if any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)) for v in value):
        return None
    h, w = (float(v) for v in value)
    return (h, w) if np.isfinite(h) and np.isfinite(w) and h >= 1 and w >= 1 else None  # at least a pixel


def identifier(ann: dict):
    """The sample's name: the first of :data:`IDENTIFIER_KEYS` present, else None."""
    for key in IDENTIFIER_KEYS:
        if key in ann:
            return ann[key]
    return None


class Problems:
    """Collects problems of one file: ``errors`` (the file is refused) and ``warnings``.

    Each entry is ``(kind, sample, message)``: ``kind`` is ``'<field>: <what>'`` (counted in the
    summary), ``sample`` names the sample (or ``''`` for file-level problems), ``message`` is the
    full line ``'<file>: <sample>: field <field>: <text>'``.
    """

    def __init__(self, source: str):
        self.source = source
        self.errors: List[Tuple[str, str, str]] = []
        self.warnings: List[Tuple[str, str, str]] = []

    def add(self, sample: str, field: str, kind: str, message: str, level: str = 'error') -> None:
        """Record a problem of ``sample`` (e.g. ``"sample annotations[3] (frame_dir='x')"``, or ``''``)."""
        where = f'{self.source}: {sample}: ' if sample else f'{self.source}: '
        entry = (f'{field}: {kind}', sample, f'{where}field {field!r}: {message}')
        (self.errors if level == 'error' else self.warnings).append(entry)

    def counts(self, level: str = 'error') -> Dict[str, int]:
        """``{kind: count}`` of the errors (or warnings)."""
        return dict(Counter(kind for kind, _, _ in self._items(level)))

    def examples(self, level: str = 'error', per_kind: int = 3) -> Dict[str, List[str]]:
        """``{kind: [first messages]}`` of the errors (or warnings)."""
        out = defaultdict(list)
        for kind, _, message in self._items(level):
            if len(out[kind]) < per_kind:
                out[kind].append(message)
        return dict(out)

    def _items(self, level):
        if level not in ('error', 'warning'):
            raise ValueError(f"level must be 'error' or 'warning', got {level!r}")
        return self.errors if level == 'error' else self.warnings

    def format(self, level: str, context: str, hint: str = '') -> str:
        """One report: the first problem of every kind, filled up to :data:`MAX_LISTED_PROBLEMS`
        in file order, then ``... and N more`` and the counts per kind. Empty when there is none."""
        items = self._items(level)
        if not items:
            return ''
        first_of_kind = {}
        for i, (kind, _, _) in enumerate(items):
            first_of_kind.setdefault(kind, i)
        shown = sorted(first_of_kind.values())[:MAX_LISTED_PROBLEMS]
        chosen = set(shown)
        for i in range(len(items)):
            if len(shown) >= MAX_LISTED_PROBLEMS:
                break
            if i not in chosen:
                shown.append(i)
                chosen.add(i)
        shown.sort()
        samples = {sample for _, sample, _ in items if sample}
        noun = 'problem(s)' if level == 'error' else 'warning(s)'
        lines = [f'{self.source}: {len(items)} {noun} in {len(samples)} sample(s) of {context}:']
        lines += [f'  - {items[i][2]}' for i in shown]
        if len(items) > len(shown):
            lines.append(f'  ... and {len(items) - len(shown)} more')
        lines.append('  counts: ' + '; '.join(f'{kind} x{n}' for kind, n in self.counts(level).items()))
        if hint:
            lines.append(f'  {hint}')
        return '\n'.join(lines)

    def raise_if_any(self, context: str) -> None:
        """Raise one ``ValueError`` listing the errors (see :meth:`format`)."""
        if self.errors:
            raise ValueError(self.format('error', context))


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def value_bound_for(ann: dict, channels: int) -> float:
    """:data:`VALUE_BOUND_2D` for 2D data (``C = 2`` or a ``keypoint_score``), else :data:`VALUE_BOUND_3D`."""
    return VALUE_BOUND_2D if channels == 2 or 'keypoint_score' in ann else VALUE_BOUND_3D


def _first_index(mask: np.ndarray) -> Tuple[int, ...]:
    return tuple(int(x) for x in np.unravel_index(int(np.argmax(mask)), mask.shape))


def _check_values(
    array: np.ndarray, field: str, bad, value_checks: str = 'ignore', bound: Optional[float] = None
) -> None:
    """NaN/Inf (error); all zero and ``|x| > bound`` (per ``value_checks``). Two reductions
    (max, min) on a clean array; the costlier counts run only when something is wrong."""
    if array.size == 0 or array.dtype.kind not in 'fiu':
        return
    hi, lo = float(np.max(array)), float(np.min(array))  # NaN propagates through max/min
    if not (np.isfinite(hi) and np.isfinite(lo)):
        not_finite = ~np.isfinite(array)
        bad(
            field,
            'not finite',
            f'has {int(np.count_nonzero(not_finite))} NaN/Inf value(s), the first at index {_first_index(not_finite)}',
        )
        return
    if max(hi, -lo) > _FLOAT32_MAX:  # finite here (float64 / int64), Inf once the pipeline makes it float32
        beyond = np.abs(array) > _FLOAT32_MAX
        bad(
            field,
            'not finite',
            f'has {int(np.count_nonzero(beyond))} value(s) beyond the float32 range (the first at index '
            f'{_first_index(beyond)} = {float(array[_first_index(beyond)]):.4g}): Inf once converted to float32',
        )
        return
    if value_checks == 'ignore':
        return
    level = 'error' if value_checks == 'error' else 'warning'
    if hi == 0 and lo == 0:
        bad(field, 'all zero', f'all coordinates are zero (shape {array.shape}): the sample holds no skeleton', level)
    elif bound is not None and max(hi, -lo) > bound:
        large = np.abs(array) > bound
        first = _first_index(large)
        bad(
            field,
            'magnitude',
            f'{int(np.count_nonzero(large))} value(s) with |x| > {bound:g}, the first at '
            f'index {first} = {float(array[first]):.4g} (of {array.size}, shape {array.shape})',
            level,
        )


def check_sample(
    i: int,
    ann,
    problems: Problems,
    num_node: Optional[int] = None,
    layout=None,
    num_classes: Optional[int] = None,
    value_checks: str = 'warn',
    value_bound: Optional[float] = None,
) -> object:
    """Check annotation ``i`` (see the module docstring), reporting to ``problems``; fill in the derived
    ``frame_dir`` (from ``filename`` / ``identifier``) and ``total_frames``. Returns ``ann``.

    Args:
        num_node: the layout's ``V`` (``layout`` only names it in messages).
        num_classes: labels must be ``< num_classes`` when given.
        value_checks: ``'warn'``, ``'error'`` or ``'ignore'`` for all-zero samples and ``|x| > bound``.
        value_bound: the bound; default :func:`value_bound_for` the sample.
    """
    if not isinstance(ann, dict):
        problems.add(
            f'sample annotations[{i}]',
            '<annotation>',
            'type',
            f'an annotation must be a dict, got {type(ann).__name__}',
        )
        return ann
    name = identifier(ann)
    sample = f'sample annotations[{i}] (frame_dir={short_repr(name)})'

    def bad(field, kind, message, level='error'):
        problems.add(sample, field, kind, message, level)

    if name is None:
        bad('frame_dir', 'missing', 'missing (no frame_dir, filename or identifier)')
    elif not isinstance(name, str):  # splits list names, results and predictions are keyed by them
        bad('frame_dir', 'type', f'must be a str, got {short_repr(name)} ({type(name).__name__})')
    elif 'frame_dir' not in ann:
        ann['frame_dir'] = name

    if 'label' not in ann:
        bad('label', 'missing', 'missing')
    else:
        label = ann['label']
        if not is_int(label):
            bad('label', 'type', f'must be an int, got {short_repr(label)} ({type(label).__name__})')
        elif label < 0:
            bad('label', 'range', f'{label} is negative')
        elif num_classes is not None and label >= num_classes:
            bad('label', 'range', f'{label} is out of range [0, {num_classes}) (num_classes={num_classes})')

    if is_compressed(ann):  # PYSKL's Kinetics-400 format: skeleton instances, maybe in a kpfile
        check_compressed(ann, bad, num_node, layout)
        if 'img_shape' in ann and as_img_shape(ann['img_shape']) is None:
            shown = short_repr(ann['img_shape'])
            bad('img_shape', 'type', f'must be a positive (h, w) of at least a pixel, got {shown}')
        return ann
    if 'keypoint' not in ann:
        bad('keypoint', 'missing', 'missing')
        return ann
    kp = ann['keypoint']
    if not isinstance(kp, np.ndarray) or kp.dtype.kind not in 'fiu':
        what = f'array of dtype {kp.dtype}' if isinstance(kp, np.ndarray) else type(kp).__name__
        bad('keypoint', 'type', f'must be a numeric numpy array (M, T, V, C), got {what}')
        return ann
    if kp.ndim != 4 or kp.shape[-1] not in (2, 3):
        bad('keypoint', 'shape', f'must be (M, T, V, C) with C in {{2, 3}}, got shape {kp.shape}')
        return ann
    num_person, num_frames, num_joints, channels = kp.shape
    if num_person == 0:
        bad('keypoint', 'persons', f'has no persons (M=0, shape {kp.shape})')
    if num_node is not None and num_joints != num_node:
        bad('keypoint', 'joints', f'has V={num_joints} joints (shape {kp.shape}) but layout {layout!r} has {num_node}')
    if num_frames == 0:
        bad('keypoint', 'empty', f'has no frames (shape {kp.shape})')
    if num_joints == 0 and num_node is None:  # with a layout, the joint-count check above reports it
        bad('keypoint', 'joints', f'has no joints (V=0, shape {kp.shape})')
    bound = value_bound if value_bound is not None else value_bound_for(ann, channels)
    _check_values(kp, 'keypoint', bad, value_checks, bound)

    if 'total_frames' not in ann:
        ann['total_frames'] = num_frames
    else:
        total = ann['total_frames']
        if not is_int(total) or total != num_frames:
            shown = short_repr(total)
            bad('total_frames', 'mismatch', f'is {shown} but keypoint has T={num_frames} frames (shape {kp.shape})')

    if 'keypoint_score' in ann:
        score = ann['keypoint_score']
        if not isinstance(score, np.ndarray) or score.dtype.kind not in 'fiu':
            bad('keypoint_score', 'type', f'must be a numeric numpy array (M, T, V), got {type(score).__name__}')
        elif score.shape != kp.shape[:3]:
            bad(
                'keypoint_score',
                'shape',
                f'must be (M, T, V) = {kp.shape[:3]} to match keypoint, got shape {score.shape}',
            )
        else:
            _check_values(score, 'keypoint_score', bad)
    elif channels == 2:
        bad('keypoint_score', 'missing', f'missing: 2D keypoints (shape {kp.shape}) need keypoint_score (M, T, V)')
    if 'img_shape' in ann and as_img_shape(ann['img_shape']) is None:
        bad('img_shape', 'type', f'must be a positive (h, w) of at least a pixel, got {short_repr(ann["img_shape"])}')
    return ann


def check_duplicates(selected: Sequence[Tuple[int, object]], problems: Problems) -> None:
    """Report (as errors) every annotation whose ``frame_dir`` an earlier selected one already has,
    with both indices and whether the labels agree."""
    first: Dict[str, Tuple[int, object]] = {}
    for i, ann in selected:
        if not isinstance(ann, dict):
            continue
        name = identifier(ann)
        if not isinstance(name, str):
            continue
        if name not in first:
            first[name] = (i, ann.get('label'))
            continue
        j, label = first[name]
        other = ann.get('label')
        shown, shown_other = short_repr(label), short_repr(other)
        agree = f'same label {shown}' if other == label else f'conflicting labels ({shown} vs {shown_other})'
        problems.add(
            f'sample annotations[{i}] (frame_dir={short_repr(name)})',
            'frame_dir',
            'duplicate',
            f'duplicate of annotations[{j}] ({agree}): each sample must appear once',
        )


def check_consistency(selected: Sequence[Tuple[int, object]], problems: Problems, joints: bool = True) -> None:
    """Report (as errors) samples whose joint count ``V`` (when ``joints``; a layout's ``num_node`` checks
    it otherwise) or channel count ``C`` differs from that of most samples: one split must stack into one
    batch. Shapes that :func:`check_sample` already refused are skipped."""
    shapes = [
        (i, identifier(ann), ann['keypoint'].shape)
        for i, ann in selected
        if isinstance(ann, dict)
        and isinstance(ann.get('keypoint'), np.ndarray)
        and ann['keypoint'].ndim == 4
        and ann['keypoint'].shape[-1] in (2, 3)
    ]
    for axis, letter in ((2, 'V'), (3, 'C'))[0 if joints else 1 :]:
        counts = Counter(shape[axis] for _, _, shape in shapes)
        if len(counts) < 2:
            continue
        common, n = counts.most_common(1)[0]
        for i, name, shape in shapes:
            if shape[axis] != common:
                problems.add(
                    f'sample annotations[{i}] (frame_dir={short_repr(name)})',
                    'keypoint',
                    'mixed shapes',
                    f'has {letter}={shape[axis]} (shape {shape}) but {n} of the {len(shapes)} samples have '
                    f'{letter}={common}',
                )

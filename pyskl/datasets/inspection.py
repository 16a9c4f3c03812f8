"""What an annotation file holds and what is wrong with it: the library behind ``pyskl inspect`` /
``tools/misc/inspect_data.py``, which prints it as text (numpy, mmengine-free; matplotlib only for
:func:`plot_report`).

:func:`inspect_annotations` reads a PYSKL / MMAction2 annotation pickle with the safe loader and returns
a :class:`DataReport`: samples per split, the class histogram, the distributions of frames ``T`` and
persons ``M``, joint count ``V`` and channels ``C`` with a layout guess, keypoint-score presence, and
every problem :mod:`pyskl.core.validation` knows (errors and warnings, with counts and the first
examples) — the same checks :class:`~pyskl.datasets.PoseDataset` runs before training.
"""

import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

import numpy as np

from pyskl.core.compressed import is_compressed
from pyskl.core.io import safe_load_pickle
from pyskl.core.layout import guess_layout
from pyskl.core.splits import check_ann_path, check_split_overlap, parse_file, select_split, split_names
from pyskl.core.validation import (
    Problems,
    check_consistency,
    check_duplicates,
    check_options,
    check_sample,
    is_int,
    identifier,
)

__all__ = ['DataReport', 'inspect_annotations', 'guess_layout_name', 'plot_report']


def guess_layout_name(num_joints: Optional[int]) -> str:
    """The layout name for ``V`` joints (``nturgb+d`` 25, ``coco`` 17, ``openpose`` 18, ``mediapipe`` 33; the table of
    :func:`pyskl.core.layout.guess_layout`), ``'custom'`` for any other count, ``'unknown'`` for None."""
    if num_joints is None:
        return 'unknown'
    try:
        return guess_layout(int(num_joints))
    except ValueError:
        return 'custom'


def _distribution(values: List[int]) -> Dict[str, float]:
    if not values:
        return dict(min=None, median=None, max=None, mean=None)
    arr = np.asarray(values)
    return dict(min=int(arr.min()), median=float(np.median(arr)), max=int(arr.max()), mean=float(arr.mean()))


@dataclass
class DataReport:
    """The result of :func:`inspect_annotations`. ``to_dict()`` gives plain JSON-able data.

    Attributes:
        ann_file, split: what was inspected (``split`` None: the whole file, every split).
        num_annotations: annotations in the file; ``num_samples``: those inspected.
        splits: ``{split name: number of names listed}`` (None for a split that is not a list).
        class_counts: ``{label: count}`` over the inspected samples (int labels only).
        frames, persons: ``dict(min, median, max, mean)`` of ``T`` and ``M``;
        ``frames_values`` / ``persons_values``: the per-sample values (for plotting).
        joints, channels: ``{V: count}``, ``{C: count}``; ``layout_guess``: from the most common ``V``.
        with_score: samples that have ``keypoint_score``.
        compressed: samples in PYSKL's compressed format (Kinetics-400; ``T`` is their ``total_frames``, their
        ``M`` / ``V`` / ``C`` are known only after ``DecompressPose``); ``in_kpfiles``: those whose keypoints are in
        kpfiles (``raw_file``, not opened here).
        errors, warnings: ``{kind: count}``; ``error_examples``, ``warning_examples``: ``{kind: [messages]}``.
    """

    ann_file: str
    split: Optional[str]
    num_annotations: int = 0
    num_samples: int = 0
    splits: Dict[str, Optional[int]] = field(default_factory=dict)
    class_counts: Dict[int, int] = field(default_factory=dict)
    frames: Dict[str, float] = field(default_factory=dict)
    persons: Dict[str, float] = field(default_factory=dict)
    frames_values: List[int] = field(default_factory=list)
    persons_values: List[int] = field(default_factory=list)
    joints: Dict[int, int] = field(default_factory=dict)
    channels: Dict[int, int] = field(default_factory=dict)
    layout_guess: str = 'unknown'
    with_score: int = 0
    compressed: int = 0
    in_kpfiles: int = 0
    errors: Dict[str, int] = field(default_factory=dict)
    warnings: Dict[str, int] = field(default_factory=dict)
    error_examples: Dict[str, List[str]] = field(default_factory=dict)
    warning_examples: Dict[str, List[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def split_summary(self) -> str:
        """``'name=count, ...'`` (``not a list`` for a malformed split)."""
        return ', '.join(f'{k}={v if v is not None else "not a list"}' for k, v in self.splits.items())

    def to_dict(self, values: bool = False) -> dict:
        """Plain data; the per-sample ``*_values`` lists only with ``values=True``."""
        out = asdict(self)
        if not values:
            out.pop('frames_values')
            out.pop('persons_values')
        for key in ('class_counts', 'joints', 'channels'):
            out[key] = {str(k): v for k, v in out[key].items()}
        out['ok'] = self.ok
        return out


def inspect_annotations(
    ann_file: str,
    split: Optional[str] = None,
    num_classes: Optional[int] = None,
    num_node: Optional[int] = None,
    value_checks: str = 'warn',
    value_bound: Optional[float] = None,
    examples: int = 3,
) -> DataReport:
    """Inspect an annotation pickle.

    Args:
        ann_file: the pickle.
        split: inspect and validate this split only, exactly as ``PoseDataset(split=split)`` would;
            None: every annotation of the file, every split (each split's names checked, every
            ``*train*`` split against its ``*val*`` / ``*test*`` counterpart).
        num_classes, num_node: as PoseDataset's ``num_classes`` / the layout's ``V`` (optional).
        value_checks, value_bound: as PoseDataset's (``'warn'``: all-zero / out-of-bound samples are
            warnings; ``'error'``: errors).
        examples: messages kept per kind of problem.

    Returns:
        DataReport

    Raises:
        FileNotFoundError / IsADirectoryError / pickle.UnpicklingError: the file cannot be read.
        ValueError: the file is not an annotation file, or ``split`` cannot be selected (missing,
            empty, not a list of names).
    """
    check_options('inspect_annotations', num_classes, num_node, value_checks, value_bound)
    ann_file = os.fspath(ann_file)
    check_ann_path(ann_file)
    annotations, splits = parse_file(safe_load_pickle(ann_file), ann_file)
    problems = Problems(ann_file)
    report = DataReport(ann_file=ann_file, split=split, num_annotations=len(annotations))
    if splits:
        for name in splits:
            try:
                report.splits[str(name)] = len(split_names(splits, name, ann_file))
            except ValueError as e:
                report.splits[str(name)] = None
                if split is None:
                    problems.add('', 'split', 'type', str(e).split("field 'split': ", 1)[-1])
    if split is not None:
        selected = select_split(annotations, splits, split, ann_file, problems)
        check_split_overlap(splits, split, ann_file, problems)
    else:
        selected = []
        for i, ann in enumerate(annotations):
            if isinstance(ann, dict) and splits and identifier(ann) is None:
                problems.add(
                    f'sample annotations[{i}] (frame_dir=None)',
                    'frame_dir',
                    'missing',
                    'missing (no frame_dir, filename or identifier): no split can select it',
                )
                continue
            selected.append((i, ann))
        if not selected and not problems.errors:
            raise ValueError(f'{ann_file}: the file holds no annotations')
        for name, count in report.splits.items():
            if count is None:
                continue
            split_problems = Problems(ann_file)
            try:
                select_split(annotations, splits, name, ann_file, split_problems)
            except ValueError as e:  # e.g. an empty split
                problems.add('', 'split', 'empty', str(e).split(f'{ann_file}: ', 1)[-1])
                continue
            for level, items in (('error', split_problems.errors), ('warning', split_problems.warnings)):
                for kind, _, message in items:
                    if kind.startswith('split:'):  # per-sample problems are found once, below
                        problems.add(
                            '', 'split', kind.split(': ', 1)[1], message.split("field 'split': ", 1)[-1], level
                        )
            if 'train' in name:
                check_split_overlap(splits, name, ann_file, problems)

    frames, persons, labels = [], [], []
    joints, channels = Counter(), Counter()
    for i, ann in selected:
        check_sample(
            i,
            ann,
            problems,
            num_node=num_node,
            num_classes=num_classes,
            value_checks=value_checks,
            value_bound=value_bound,
        )
        if not isinstance(ann, dict):
            continue
        label = ann.get('label')
        if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
            labels.append(int(label))
        kp = ann.get('keypoint')
        if is_compressed(ann):
            report.compressed += 1
            report.in_kpfiles += 'keypoint' not in ann
            if is_int(ann.get('total_frames')):
                frames.append(int(ann['total_frames']))
        elif isinstance(kp, np.ndarray) and kp.ndim == 4:
            persons.append(kp.shape[0])
            frames.append(kp.shape[1])
            joints[kp.shape[2]] += 1
            channels[kp.shape[3]] += 1
        report.with_score += 'keypoint_score' in ann
    check_duplicates(selected, problems)
    check_consistency(selected, problems, joints=num_node is None)

    report.num_samples = len(selected)
    report.class_counts = dict(sorted(Counter(labels).items()))
    report.frames, report.persons = _distribution(frames), _distribution(persons)
    report.frames_values, report.persons_values = frames, persons
    report.joints, report.channels = dict(sorted(joints.items())), dict(sorted(channels.items()))
    report.layout_guess = guess_layout_name(joints.most_common(1)[0][0] if joints else None)
    report.errors, report.warnings = problems.counts('error'), problems.counts('warning')
    report.error_examples = problems.examples('error', examples)
    report.warning_examples = problems.examples('warning', examples)
    return report


def plot_report(report: DataReport, path: str, dpi: int = 100) -> None:
    """Save a PNG summary of ``report`` (1200 x 800 pixels at the default dpi): class histogram,
    frames ``T`` histogram, persons ``M`` counts, and a text panel with the shapes and the problem counts.
    Uses ``matplotlib.figure.Figure`` (Agg; no pyplot state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 8))
    (ax_cls, ax_t), (ax_m, ax_txt) = fig.subplots(2, 2)
    title = os.path.basename(report.ann_file) + (f' [{report.split}]' if report.split is not None else '')
    fig.suptitle(f'{title}: {report.num_samples} samples', fontsize=13)
    if report.class_counts:
        ax_cls.bar(list(report.class_counts), list(report.class_counts.values()), color='#4c72b0')
    ax_cls.set(title='samples per class', xlabel='label', ylabel='samples')
    if report.frames_values:
        ax_t.hist(report.frames_values, bins=min(50, max(5, len(set(report.frames_values)))), color='#55a868')
    ax_t.set(title='frames T per sample', xlabel='T', ylabel='samples')
    persons = Counter(report.persons_values)
    if persons:
        ax_m.bar([str(m) for m in sorted(persons)], [persons[m] for m in sorted(persons)], color='#c44e52')
    ax_m.set(title='persons M per sample', xlabel='M', ylabel='samples')
    ax_txt.axis('off')
    text = [
        f'T: min {report.frames.get("min")}, median {report.frames.get("median")}, max {report.frames.get("max")}',
        'V: ' + ', '.join(f'{k} ({v})' for k, v in report.joints.items()) + f'  layout: {report.layout_guess}',
        'C: ' + ', '.join(f'{k} ({v})' for k, v in report.channels.items()),
        f'keypoint_score: {report.with_score} of {report.num_samples}',
    ]
    if report.splits:
        text.append(f'splits: {report.split_summary()}')
    text.append(f'errors: {sum(report.errors.values())}')
    text += [f'  {k} x{n}' for k, n in list(report.errors.items())[:8]]
    text.append(f'warnings: {sum(report.warnings.values())}')
    text += [f'  {k} x{n}' for k, n in list(report.warnings.items())[:6]]
    ax_txt.text(
        0,
        1,
        '\n'.join(text),
        va='top',
        ha='left',
        family='monospace',
        fontsize=9,
        color='black' if report.ok else '#b00000',
        transform=ax_txt.transAxes,
        wrap=True,
    )
    fig.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(path, dpi=dpi, format='png')

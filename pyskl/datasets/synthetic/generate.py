"""Assembling the synthetic dataset: performances, samples, splits, and the pickle (numpy only).

See :mod:`pyskl.datasets.synthetic` for the format.
"""

import os
from typing import List

import numpy as np

from .actions import ACTIONS, CLASS_NAMES, idle
from .kinematics import Motion, body_offsets, deg, forward_kinematics
from .projection import IMG_SHAPE, camera_sample, ntu_to_coco_2d

__all__ = ['KINDS', 'MAX_FRAMES', 'MIN_FRAMES', 'make_demo_data', 'make_demo_dataset', 'summarize', 'val_subjects']

MIN_FRAMES, MAX_FRAMES = 40, 150
#: Output formats of :func:`make_demo_data`.
KINDS = ('3d', '2d')
_PLANNERS = tuple(ACTIONS.values())


def _frame_dir(setup: int, camera: int, subject: int, rep: int, action: int) -> str:
    return f'S{setup:03d}C{camera:03d}P{subject:03d}R{rep:03d}A{action:03d}'


def _setup_of(subject: int) -> int:
    return 1 + (subject - 1) % 17


def val_subjects(num_subjects: int) -> List[int]:
    """Subject ids (1-indexed) of the cross-subject validation split: about 30 % of the
    ``num_subjects`` subjects, spread evenly over the ids."""
    n_val = min(max(1, int(round(0.3 * num_subjects))), num_subjects - 1)
    return sorted({1 + int((k + 0.5) * num_subjects / n_val) for k in range(n_val)})


def _performance(seed: int, subject: int, label: int, rep: int, offsets: np.ndarray):
    """One performance (seen by all three cameras): floor-frame skeletons (M, T, 25, 3)."""
    rng = np.random.default_rng([seed, subject, label, rep])
    dur, animate = _PLANNERS[label](rng)
    pre, post = int(rng.integers(3, 16)), int(rng.integers(3, 16))
    T = pre + dur + post
    if T < MIN_FRAMES:
        extra = MIN_FRAMES - T
        pre += extra // 2
        post += extra - extra // 2
        T = MIN_FRAMES
    if T > MAX_FRAMES:  # planners stay below this; keep the guarantee anyway
        T = MAX_FRAMES
    t = np.arange(T, dtype=np.float64)
    main = Motion(T)
    idle(main, rng, t)
    animate(main, t - pre)
    main.yaw += deg(rng.uniform(-10, 10))
    persons = [forward_kinematics(main, offsets)]

    if rng.random() < 0.15:  # an idle bystander
        other = Motion(T)
        idle(other, rng, t, scale=2.0)
        other.yaw += deg(rng.uniform(-35, 35))
        body = forward_kinematics(other, body_offsets(rng))
        side = rng.choice([-1.0, 1.0])
        body += np.array([side * rng.uniform(0.8, 1.4), 0.0, rng.uniform(-0.4, 0.6)])
        persons.append(body)
    return rng, np.stack(persons)


def make_demo_data(
    num_subjects: int = 20, samples_per_class_per_subject: int = 6, seed: int = 0, kind: str = '3d'
) -> dict:
    """Generate the synthetic dataset in memory.

    Args:
        num_subjects (int): Number of subjects (>= 2); about 30 % of them (see
            :func:`val_subjects`) form ``xsub_val``.
        samples_per_class_per_subject (int): Samples of each action per subject (>= 1). Sample
            ``k`` is replication ``k // 3 + 1`` seen by camera ``k % 3 + 1``; the cameras of one
            replication see the same performance, as in NTU.
        seed (int): Seed; the result is a deterministic function of the arguments.
        kind (str): ``'3d'``: PYSKL's NTU 3D format, ``keypoint`` float32 (M, T, 25, 3) in
            metres. ``'2d'``: the same samples (same names, splits, frames and persons) in
            PYSKL's NTU HRNet format, ``keypoint`` float32 (M, T, 17, 2) in pixels and
            ``keypoint_score`` float32 (M, T, 17) (see :func:`ntu_to_coco_2d`).

    Returns:
        dict: ``dict(split=dict(xsub_train, xsub_val, xview_train, xview_val),
        annotations=[...])``.
    """
    if isinstance(num_subjects, bool) or not isinstance(num_subjects, (int, np.integer)) or num_subjects < 2:
        raise ValueError(f'num_subjects must be an int >= 2 (train and val need a subject each), got {num_subjects!r}')
    if (
        isinstance(samples_per_class_per_subject, bool)
        or not isinstance(samples_per_class_per_subject, (int, np.integer))
        or samples_per_class_per_subject < 1
    ):
        raise ValueError(f'samples_per_class_per_subject must be an int >= 1, got {samples_per_class_per_subject!r}')
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be a non-negative int, got {seed!r}')
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    seed, num_subjects, n = int(seed), int(num_subjects), int(samples_per_class_per_subject)

    val_ids = set(val_subjects(num_subjects))
    split = dict(xsub_train=[], xsub_val=[], xview_train=[], xview_val=[])
    annotations = []
    for subject in range(1, num_subjects + 1):
        offsets = body_offsets(np.random.default_rng([seed, subject]))
        for label in range(len(CLASS_NAMES)):
            for rep in range(1, (n + 2) // 3 + 1):
                rng, persons = _performance(seed, subject, label, rep, offsets)
                for camera in range(1, min(3, n - 3 * (rep - 1)) + 1):
                    kp = camera_sample(rng, persons, camera)
                    name = _frame_dir(_setup_of(subject), camera, subject, rep, label + 1)
                    ann = dict(frame_dir=name, label=label, total_frames=int(kp.shape[1]), keypoint=kp)
                    if kind == '2d':
                        # its own generator: the 3D samples are the same whichever kind is made
                        score_rng = np.random.default_rng([seed, subject, label, rep, camera, 2])
                        ann['keypoint'], ann['keypoint_score'] = ntu_to_coco_2d(kp, score_rng)
                    ann.update(img_shape=IMG_SHAPE, original_shape=IMG_SHAPE)
                    annotations.append(ann)
                    split['xsub_val' if subject in val_ids else 'xsub_train'].append(name)
                    split['xview_val' if camera == 1 else 'xview_train'].append(name)
    return dict(split=split, annotations=annotations)


def summarize(data: dict) -> dict:
    """Counts of a dataset dict: ``dict(num_samples, num_classes, class_names,
    splits={split: count}, per_class={split: [count of label 0, 1, ...]})``."""
    labels = {a['frame_dir']: a['label'] for a in data['annotations']}
    per_class = {}
    for name, dirs in data['split'].items():
        counts = [0] * len(CLASS_NAMES)
        for d in dirs:
            counts[labels[d]] += 1
        per_class[name] = counts
    return dict(
        num_samples=len(data['annotations']),
        num_classes=len(CLASS_NAMES),
        class_names=list(CLASS_NAMES),
        splits={k: len(v) for k, v in data['split'].items()},
        per_class=per_class,
    )


def make_demo_dataset(
    out_file: str, num_subjects: int = 20, samples_per_class_per_subject: int = 6, seed: int = 0, kind: str = '3d'
) -> dict:
    """Generate the dataset (see :func:`make_demo_data`) and pickle it to ``out_file``
    (protocol 4, written atomically by :func:`pyskl.core.io.dump_pickle`; numpy arrays and
    builtins only), creating parent folders.

    Returns:
        dict: :func:`summarize` of the data plus ``out_file``.
    """
    # imported here so that the module itself needs nothing but numpy and the standard library
    from pyskl.core.io import dump_pickle

    data = make_demo_data(num_subjects, samples_per_class_per_subject, seed, kind)
    out_file = os.fspath(out_file)
    dump_pickle(data, out_file, protocol=4)
    summary = summarize(data)
    summary['out_file'] = out_file
    return summary

"""Shared test fixtures.

The CI machine has 2 cores; keep torch to one intra-op thread per process so that
multi-process tests (DDP on gloo, dataloader workers) do not oversubscribe them.
"""

import os
import os.path as osp
import pickle

import numpy as np
import pytest
from repo_paths import REPO, SHARED


def pytest_configure(config):
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(scope='session')
def shared_dir():
    if not os.path.isdir(SHARED):
        msg = f'../shared not found beside the checkout ({SHARED})'
        if os.environ.get('CI'):
            pytest.fail(msg + ': CI must run the reference and schema checks')
        pytest.skip(msg)
    return SHARED


# --- small annotation pickles in the PYSKL format (the `annfac` fixture) ---
def _ntu_sample(rng, name, label, num_person=None, num_frames=None):
    """An NTU-like 3D annotation: keypoint float32 (M, T, 25, 3)."""
    m = int(rng.integers(1, 3)) if num_person is None else num_person
    t = int(rng.integers(20, 41)) if num_frames is None else num_frames
    return dict(
        frame_dir=name,
        label=label,
        total_frames=t,
        keypoint=rng.normal(size=(m, t, 25, 3)).astype(np.float32),
        img_shape=(1080, 1920),
        original_shape=(1080, 1920),
    )


def _coco_sample(rng, name, label, num_person=None, num_frames=None):
    """A COCO-like 2D annotation: keypoint float32 (M, T, 17, 2) + keypoint_score (M, T, 17)."""
    m = int(rng.integers(1, 3)) if num_person is None else num_person
    t = int(rng.integers(20, 41)) if num_frames is None else num_frames
    return dict(
        frame_dir=name,
        label=label,
        total_frames=t,
        keypoint=(rng.random((m, t, 17, 2)) * [640, 480]).astype(np.float32),
        keypoint_score=rng.random((m, t, 17)).astype(np.float32),
        img_shape=(480, 640),
        original_shape=(480, 640),
    )


def _make_annotations(kind='ntu', n_train=6, n_val=4, num_classes=5, seed=0):
    """``dict(split=dict(train=[...], val=[...]), annotations=[...])`` with labels cycling
    through ``range(num_classes)``."""
    rng = np.random.default_rng(seed)
    make = _ntu_sample if kind == 'ntu' else _coco_sample
    annotations, split = [], dict(train=[], val=[])
    for i in range(n_train + n_val):
        name = f'S001C001P{i:03d}R001A{i % num_classes + 1:03d}'
        annotations.append(make(rng, name, i % num_classes))
        split['train' if i < n_train else 'val'].append(name)
    return dict(split=split, annotations=annotations)


def _write(path, obj, protocol=4):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=protocol)
    return str(path)


class AnnotationFactory:
    """Makes annotations and writes them into a test's ``tmp_path``."""

    ntu_sample = staticmethod(_ntu_sample)
    coco_sample = staticmethod(_coco_sample)
    make = staticmethod(_make_annotations)

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.count = 0

    def write(self, obj, name=None, protocol=4):
        """Pickle ``obj`` into ``tmp_path``; returns the path (str)."""
        self.count += 1
        return _write(osp.join(self.tmp_path, name or f'ann{self.count}.pkl'), obj, protocol)

    def file(self, kind='ntu', **kwargs):
        """Write :meth:`make` ``(kind, **kwargs)``; returns ``(path, data)``."""
        data = _make_annotations(kind, **kwargs)
        return self.write(data), data


@pytest.fixture
def annfac(tmp_path):
    return AnnotationFactory(tmp_path)

"""Datasets, samplers and transforms; importing this package registers them in
``pyskl.registry`` (``DATASETS``: ``PoseDataset``, ``RepeatDataset``; ``DATA_SAMPLERS``:
``SeededSampler``; ``TRANSFORMS``: see :mod:`pyskl.datasets.transforms`)."""
from . import transforms  # noqa: F401  (registers the transforms)
from .dataset_wrappers import RepeatDataset
from .io import UnsafePickleError, dump_pickle, safe_load_pickle
from .pose_dataset import PoseDataset
from .samplers import SeededSampler

__all__ = ['PoseDataset', 'RepeatDataset', 'SeededSampler', 'safe_load_pickle', 'dump_pickle', 'UnsafePickleError']

"""Datasets, samplers and transforms.

Importing this package is light (numpy-only submodules such as :mod:`pyskl.datasets.synthetic` and
:mod:`pyskl.datasets.io` need nothing more). The registering modules (:data:`REGISTERING_MODULES`:
``PoseDataset`` and ``RepeatDataset`` in ``DATASETS``, ``SeededSampler`` in ``DATA_SAMPLERS``, the
transforms in ``TRANSFORMS``) are imported by the registries' ``locations`` when a config is built, by
:func:`pyskl.utils.register_all_modules`, or on first access of a name below.
"""
import importlib

REGISTERING_MODULES = ('pyskl.datasets.pose_dataset', 'pyskl.datasets.dataset_wrappers',
                       'pyskl.datasets.samplers', 'pyskl.datasets.transforms')

_LAZY = {
    'PoseDataset': 'pose_dataset',
    'RepeatDataset': 'dataset_wrappers',
    'SeededSampler': 'samplers',
    'safe_load_pickle': 'io',
    'dump_pickle': 'io',
    'UnsafePickleError': 'io',
}

__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

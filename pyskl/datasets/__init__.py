"""Datasets, samplers and transforms.

Importing this package is light (numpy-only submodules such as :mod:`pyskl.datasets.synthetic` need nothing
more). The registering modules (the registries' ``locations`` in :mod:`pyskl.registry`:
``PoseDataset`` and ``RepeatDataset`` in ``DATASETS``, ``SeededSampler`` in ``DATA_SAMPLERS``, the
transforms in ``TRANSFORMS``) are imported by the registries' ``locations`` when a config is built, by
:func:`pyskl.registry.register_all_modules`, or on first access of a name below.
"""

import importlib

_LAZY = {
    'PoseDataset': 'pose_dataset',
    'RepeatDataset': 'dataset_wrappers',
    'SeededSampler': 'samplers',
}

__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

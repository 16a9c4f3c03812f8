"""The library behind the commands: training, testing, inference, prediction, export, multi-stream runs and
analysis. Submodules are imported on first use (``from pyskl.apis import init_recognizer`` imports torch,
``import pyskl.apis.streams`` alone does not)."""

import importlib

_LAZY = {
    'inference_recognizer': 'inference',
    'init_recognizer': 'inference',
    'run_test': 'test',
    'setup_test_cfg': 'test',
    'default_work_dir': 'train',
    'setup_train_cfg': 'train',
    'train_model': 'train',
}

__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

"""Checkpoints that ``torch.load(path, weights_only=True)`` can read.

mmengine's checkpoints hold ``HistoryBuffer`` objects (in ``message_hub``) and numpy
arrays / scalars (in ``message_hub`` and ``meta``); the restricted unpickler of
``weights_only=True`` refuses them. :class:`WeightsOnlyCheckpointHook` converts them to
tensors and builtin containers when a checkpoint is saved and turns the converted
HistoryBuffers back into ``HistoryBuffer`` objects when a checkpoint is loaded, before
``Runner.resume`` hands ``message_hub`` to ``MessageHub.load_state_dict``.
"""

from collections import OrderedDict
from typing import Any, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

#: Marker key of a HistoryBuffer stored as a plain dict.
HISTORY_BUFFER_KEY = '__pyskl_history_buffer__'

_PRIMITIVES = (type(None), bool, int, float, complex, str, bytes)
_TORCH_LEAVES = (torch.Tensor, torch.dtype, torch.device, torch.Size)


def _history_buffer_to_dict(buf: HistoryBuffer) -> dict:
    return {
        HISTORY_BUFFER_KEY: True,
        'log_history': torch.from_numpy(np.ascontiguousarray(buf._log_history)),
        'count_history': torch.from_numpy(np.ascontiguousarray(buf._count_history)),
        'max_length': int(buf.max_length),
    }


def _dict_to_history_buffer(data: dict, key: str = '') -> HistoryBuffer:
    logs, counts, max_length = data.get('log_history'), data.get('count_history'), data.get('max_length')
    if (
        type(max_length) is not int
        or max_length <= 0
        or not all(isinstance(t, torch.Tensor) and t.dim() == 1 and not t.is_complex() for t in (logs, counts))
    ):
        raise ValueError(
            f'checkpoint message_hub.log_scalars[{key!r}]: a stored HistoryBuffer needs 1-D '
            'log_history / count_history tensors and a positive int max_length'
        )
    buf = HistoryBuffer(max_length=max_length)
    buf._log_history = logs.numpy().copy()
    buf._count_history = counts.numpy().copy()
    return buf


def _convert(obj: Any, path: str) -> Tuple[Any, bool]:
    """Return ``(converted, changed)``; containers are rebuilt only when needed."""
    if type(obj) in _PRIMITIVES or isinstance(obj, _TORCH_LEAVES):
        return obj, False
    if isinstance(obj, np.generic):  # numpy scalar (np.float64 subclasses float)
        return obj.item(), True
    if isinstance(obj, HistoryBuffer):
        return _history_buffer_to_dict(obj), True
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in 'biufc':
            return torch.from_numpy(np.ascontiguousarray(obj)), True
        return _convert(obj.tolist(), path)[0], True
    if isinstance(obj, dict):
        changed = type(obj) not in (dict, OrderedDict)
        items = []
        for k, v in obj.items():
            new_k, ck = _convert(k, f'{path}.<key>')
            new_v, cv = _convert(v, f'{path}.{k}')
            changed = changed or ck or cv
            items.append((new_k, new_v))
        if not changed:
            return obj, False
        new = OrderedDict(items) if isinstance(obj, OrderedDict) else dict(items)
        if hasattr(obj, '_metadata'):  # nn.Module state_dict metadata
            new._metadata = obj._metadata
        return new, True
    if isinstance(obj, (list, tuple, set, frozenset)):
        seq = list(obj)
        new_items = [_convert(v, f'{path}[{i}]') for i, v in enumerate(seq)]
        changed = type(obj) not in (list, tuple) or any(c for _, c in new_items)
        if not changed:
            return obj, False
        values = [v for v, _ in new_items]
        return (tuple(values) if isinstance(obj, tuple) else values), True
    raise TypeError(
        f'checkpoint entry "{path}" is a {type(obj).__module__}.{type(obj).__qualname__}, '
        'which torch.load(weights_only=True) cannot read and pyskl does not know how to '
        'convert; store tensors, numpy data or builtin values instead'
    )


def to_weights_only(obj: Any, path: str = 'checkpoint') -> Any:
    """Convert ``obj`` so that only tensors and builtin containers/values remain.

    HistoryBuffers become marker dicts (see :func:`restore_history_buffers`), numeric
    numpy arrays become tensors (other arrays become lists), numpy scalars become Python
    numbers, tuples of converted values stay tuples, sets become lists, namedtuples
    become tuples. ``OrderedDict`` and its ``_metadata`` (module state dicts) are kept.
    Unconvertible objects raise ``TypeError`` naming their path.
    """
    return _convert(obj, path)[0]


def restore_history_buffers(message_hub_state: dict) -> dict:
    """Turn the marker dicts in ``message_hub_state['log_scalars']`` back into
    ``HistoryBuffer`` objects (in place; returns the dict)."""
    scalars = message_hub_state.get('log_scalars', {})
    for key, value in list(scalars.items()):
        if isinstance(value, dict) and value.get(HISTORY_BUFFER_KEY):
            scalars[key] = _dict_to_history_buffer(value, key)
    return message_hub_state


def store_config(cfg, checkpoint: dict) -> None:
    """Put the resolved config as plain data (``meta['pyskl_config']``) and the class names of its ``label_map``
    file (``meta['classes']``, when set and readable) into ``checkpoint``, so that testing and inference need no
    config file (:func:`pyskl.apis.init_recognizer`). mmengine's ``meta['cfg']`` (Python source) is kept as text
    and never executed by pyskl."""
    from pyskl.core.config_data import CLASSES_KEY, CONFIG_KEY, config_to_data
    from pyskl.core.label_map import load_label_map

    meta = checkpoint.setdefault('meta', {})
    meta[CONFIG_KEY] = config_to_data(cfg)
    label_map = cfg.get('label_map')
    if label_map:
        try:
            meta[CLASSES_KEY] = load_label_map(label_map, cfg.get('num_classes'))
        except (OSError, ValueError) as e:
            from mmengine.logging import print_log

            print_log(f'label_map: {e}; the checkpoint stores no class names', logger='current', level=30)

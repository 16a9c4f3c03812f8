"""Reading released and trained checkpoints without arbitrary unpickling.

Every file is read with ``torch.load(..., weights_only=True)``. The few non-tensor globals that released
files carry are allow-listed by exact name:

- PYSKL (mmcv 1.x) files keep numpy scalars (e.g. ``hook_msgs.best_score``) in ``meta``;
- MMAction2 1.x (mmengine) files keep ``HistoryBuffer`` objects holding numpy arrays in ``message_hub``.

Nothing else can be reconstructed: a file that needs any other global is refused with the name of that
global (torch's ``UnpicklingError``), and no code in it runs.
"""
import os
import pickle
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

# name prefix in the file -> name in pyskl
KEY_MAPPINGS: List[Tuple[str, str]] = [
    ('module.', ''),                     # saved from a DDP-wrapped model
    ('cls_head.fc.', 'cls_head.fc_cls.'),  # MMAction2 1.x names the classifier ``fc``
]


def _numpy_globals() -> list:
    """numpy reconstructors / dtypes / scalars, by the names numpy 1.x and 2.x pickles use (the same
    list the annotation loader admits, :func:`pyskl.datasets.io.numpy_globals`)."""
    from pyskl.datasets.io import numpy_globals
    return [(obj, f'{module}.{name}') for (module, name), obj in numpy_globals().items()]


def _mmengine_globals() -> list:
    try:
        from mmengine.logging.history_buffer import HistoryBuffer
    except ImportError:  # pragma: no cover - mmengine is a dependency
        return []

    def history_buffer_getattr(obj, name):
        """``getattr`` as HistoryBuffer pickles need it (its statistics methods), and nothing else."""
        allowed = {'min', 'max', 'mean', 'current'} | set(HistoryBuffer._statistics_methods)
        if obj is HistoryBuffer and isinstance(name, str) and name in allowed:
            return getattr(obj, name)
        raise pickle.UnpicklingError(f'refused getattr({obj!r}, {name!r}) while loading a checkpoint')

    return [(HistoryBuffer, 'mmengine.logging.history_buffer.HistoryBuffer'),
            (history_buffer_getattr, 'builtins.getattr'), (history_buffer_getattr, '__builtin__.getattr')]


def safe_globals() -> list:
    """The allow-list handed to :func:`torch.serialization.safe_globals`."""
    return _numpy_globals() + _mmengine_globals()


def load_checkpoint_file(path: str, map_location='cpu') -> dict:
    """``torch.load(path, weights_only=True)`` with the allow-list above.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        pickle.UnpicklingError: the file needs a global outside the allow-list (named in the message).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    with torch.serialization.safe_globals(safe_globals()):
        return torch.load(path, map_location=map_location, weights_only=True)


def get_state_dict(checkpoint: dict, path: str = '<checkpoint>') -> 'OrderedDict[str, torch.Tensor]':
    """The model weights of a loaded checkpoint (``state_dict`` / ``model`` entry, or the dict itself)."""
    if not isinstance(checkpoint, dict):
        raise TypeError(f'{path}: expected a dict checkpoint, got {type(checkpoint).__name__}')
    for key in ('state_dict', 'model'):
        if key in checkpoint and isinstance(checkpoint[key], dict):
            checkpoint = checkpoint[key]
            break
    tensors = OrderedDict((k, v) for k, v in checkpoint.items() if isinstance(v, torch.Tensor))
    if not tensors:
        raise ValueError(f'{path}: no tensors found (keys: {sorted(checkpoint)[:10]})')
    return tensors


def convert_state_dict(state_dict: Dict[str, torch.Tensor],
                       mappings: Optional[List[Tuple[str, str]]] = None) -> 'OrderedDict[str, torch.Tensor]':
    """Rename keys of released PYSKL / MMAction2 weights to pyskl's names (see :data:`KEY_MAPPINGS`)."""
    mappings = KEY_MAPPINGS if mappings is None else mappings
    out = OrderedDict()
    for key, value in state_dict.items():
        for old, new in mappings:
            if key.startswith(old):
                key = new + key[len(old):]
        out[key] = value
    return out


def model_weights(checkpoint: dict, path: str = '<checkpoint>',
                  revise_keys: Optional[List[Tuple[str, str]]] = None) -> 'OrderedDict[str, torch.Tensor]':
    """The weights of a loaded checkpoint under pyskl's key names: :func:`get_state_dict`, the built-in
    :data:`KEY_MAPPINGS`, then the ``(regex, replacement)`` pairs of ``revise_keys``."""
    state_dict = convert_state_dict(get_state_dict(checkpoint, path))
    for pattern, repl in revise_keys or []:
        state_dict = OrderedDict((re.sub(pattern, repl, k), v) for k, v in state_dict.items())
    return state_dict


def load_checkpoint(model: torch.nn.Module, path: str, map_location='cpu', strict: bool = True,
                    revise_keys: Optional[List[Tuple[str, str]]] = None) -> dict:
    """Load PYSKL, MMAction2 or pyskl weights into ``model``.

    Args:
        model (nn.Module): The recognizer (keys ``backbone.*``, ``cls_head.*``).
        path (str): Checkpoint file.
        map_location: As in :func:`torch.load`.
        strict (bool): Raise when keys are missing or unexpected, or shapes differ. Keys a submodule lists
            in its ``optional_state_keys`` may be missing; they keep their built value.
        revise_keys (list[tuple[str, str]] | None): Extra ``(regex, replacement)`` renames applied after the
            built-in mappings.

    Returns:
        dict: The whole checkpoint as loaded (``meta`` etc.).
    """
    checkpoint = load_checkpoint_file(path, map_location)
    state_dict = model_weights(checkpoint, path, revise_keys)
    own = model.state_dict()
    # state a module may keep but older checkpoints lack (a submodule's ``optional_state_keys``, e.g. the class
    # memory ``avg_f`` of ProtoGCN's contrastive loss, which the original code never saved): kept as built
    optional = {f'{name}.{key}' if name else key for name, mod in model.named_modules()
                for key in getattr(mod, 'optional_state_keys', ())}
    missing = [k for k in own if k not in state_dict and k not in optional]
    unexpected = [k for k in state_dict if k not in own]
    mismatched_keys = {k for k, v in state_dict.items() if k in own and tuple(v.shape) != tuple(own[k].shape)}
    mismatched = [f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model {tuple(own[k].shape)}'
                  for k in state_dict if k in mismatched_keys]
    if strict and (missing or unexpected or mismatched):
        def listing(title, keys):
            return f'\n  {title} ({len(keys)}): ' + ', '.join(keys[:20]) + (' ...' if len(keys) > 20 else '')
        msg = f'{path}: the checkpoint does not match the model built from the config.'
        if missing:
            msg += listing('missing in checkpoint', missing)
        if unexpected:
            msg += listing('unexpected in checkpoint', unexpected)
        if mismatched:
            msg += listing('shape mismatch', mismatched)
        raise RuntimeError(msg)
    state_dict = OrderedDict((k, v) for k, v in state_dict.items() if k in own and k not in mismatched_keys)
    model.load_state_dict(state_dict, strict=False)
    return checkpoint

"""Checkpoints: reading released and trained files safely (:mod:`.reading`), what pyskl writes into them
(:mod:`.writing`: weights-only conversion, the stored config and class names) and ``init_cfg`` Pretrained
(:mod:`.pretrained`). The hooks that save them are in :mod:`pyskl.engine.checkpoint_hook`."""

from .matching import WeightsMismatchError, check_loaded_fraction, load_checkpoint, load_weights, match_summary
from .pretrained import PysklPretrainedInit
from .reading import (
    KEY_MAPPINGS,
    FileFormatError,
    LoadError,
    LoadLimitError,
    UnsafePickleError,
    convert_state_dict,
    get_state_dict,
    load_checkpoint_file,
    model_weights,
    resolve_checkpoint_path,
    safe_globals,
)
from .writing import HISTORY_BUFFER_KEY, restore_history_buffers, store_config, to_weights_only

__all__ = [
    'KEY_MAPPINGS',
    'FileFormatError',
    'LoadError',
    'LoadLimitError',
    'UnsafePickleError',
    'WeightsMismatchError',
    'check_loaded_fraction',
    'convert_state_dict',
    'get_state_dict',
    'load_checkpoint',
    'load_checkpoint_file',
    'load_weights',
    'match_summary',
    'resolve_checkpoint_path',
    'model_weights',
    'safe_globals',
    'PysklPretrainedInit',
    'HISTORY_BUFFER_KEY',
    'restore_history_buffers',
    'store_config',
    'to_weights_only',
]

"""Checks of a loaded config's values that mmengine would accept and fail on late (or never): section kinds,
training length, optimizer numbers, ``--cfg-options`` keys, ``compile`` arguments, and training data used for
evaluation. Each raises a ``ValueError`` (or warns) naming the config and the key."""

import math
import warnings
from typing import List, Optional

from .config_facts import FACTS, plain, walk


def check_schedule(cfg, where: str = 'config') -> None:
    """Refuse a training length that is not a positive int (``train_cfg.max_epochs`` / ``max_iters`` /
    ``val_interval`` / ``val_begin``: mmengine would fail late, e.g. ``val_interval=0`` at the end of the first
    epoch); warn about a cosine ``T_max`` that does not match ``train_cfg.max_epochs`` (a stale length)."""
    train_cfg = cfg.get('train_cfg') or {}
    for key in ('max_epochs', 'max_iters', 'val_interval', 'val_begin'):
        value = train_cfg.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f'{where}: train_cfg.{key} must be a positive int; got {value!r}')
    max_epochs = train_cfg.get('max_epochs')
    scheds = cfg.get('param_scheduler') or []
    for i, s in enumerate([scheds] if isinstance(scheds, dict) else scheds):
        if not isinstance(s, dict) or s.get('T_max') is None or max_epochs is None or not s.get('by_epoch', True):
            continue
        if s.get('begin', 0) + s['T_max'] != max_epochs:
            warnings.warn(
                f'{where}: param_scheduler[{i}] ({s.get("type")}) has T_max={s["T_max"]} but '
                f'train_cfg.max_epochs={max_epochs}: the schedule does not end with training. '
                "Use type='CosineToEndLR' (no T_max) to follow max_epochs."
            )


def dataset_sources(section) -> List[tuple]:
    """``(ann_file, split)`` of every dataset in a dataloader section (inside wrappers such as ``RepeatDataset``
    too): each dict with a string ``ann_file``; ``split`` is None when the dataset reads the whole file."""
    found = []
    for _, d in walk(section):
        if isinstance(d.get('ann_file'), str):
            split = d.get('split')
            found.append((d['ann_file'], split if isinstance(split, str) else None))
    return list(dict.fromkeys(found))


def check_eval_data(cfg, where: str = 'config') -> None:
    """Warn when the training data is also the validation data (the same annotation file and split in
    ``train_dataloader`` and ``val_dataloader``: the validation accuracy, the best checkpoint and its score are
    then measured on samples the model was trained on) or when the training split is named as an evaluation
    split (``xsub_val``). Overlaps between two different splits of one file are :func:`check_split_overlap`'s."""
    import os.path as osp

    from .splits import _EVAL_TOKENS

    train = dataset_sources(cfg.get('train_dataloader'))

    def key(source):
        return osp.realpath(source[0]), source[1]

    for ann_file, split in train:
        if isinstance(split, str) and 'train' not in split and any(t in split for t in _EVAL_TOKENS):
            warnings.warn(f'{where}: train_dataloader reads split {split!r} of {ann_file}, an evaluation split')
    trained = {key(s) for s in train}
    for ann_file, split in dataset_sources(cfg.get('val_dataloader')):
        if key((ann_file, split)) in trained:
            which = f'split {split!r} of {ann_file}' if split is not None else f'all of {ann_file} (no split)'
            warnings.warn(
                f'{where}: val_dataloader reads {which}, which train_dataloader trains on: the validation '
                'accuracy and the best checkpoint measure training samples'
            )


#: Config sections that are dicts when set.
DICT_SECTIONS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'optim_wrapper', 'train_cfg')


def check_structure(cfg, where: str = 'config') -> None:
    """Refuse a config whose sections have the wrong kind (``model=[1]``, ``test_dataloader='x'``, a pipeline that is
    not a list of dicts with a ``type``): they failed later inside mmengine with a TypeError / AttributeError."""
    for key in DICT_SECTIONS:
        value = cfg.get(key)
        if value is not None and not isinstance(value, dict):
            raise ValueError(f'{where}: {key} must be a dict, got {type(value).__name__}')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key) or {}
        for name, low, high in (('num_workers', 0, 256), ('batch_size', 1, 1 << 16)):
            value = loader.get(name)
            if value is not None and not (
                isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            ):
                # 100000 workers from a checkpoint's stored config would fork 100000 processes
                raise ValueError(f'{where}: {key}.{name} must be an int from {low} to {high}; got {value!r}')
    model = cfg.get('model')
    if isinstance(model, dict) and not isinstance(model.get('type'), str):
        raise ValueError(f'{where}: model.type must name the recognizer, e.g. RecognizerGCN')
    fraction = cfg.get('min_load_fraction')
    if fraction is not None and not (_is_number(fraction) and 0 <= fraction <= 1):
        raise ValueError(f'{where}: min_load_fraction must be a number in [0, 1]; got {fraction!r}')
    for key in list(cfg.keys()):
        value = cfg.get(key)
        if key.endswith('_pipeline') and value is not None:
            if not isinstance(value, (list, tuple)) or not all(isinstance(t, dict) and 'type' in t for t in value):
                raise ValueError(f'{where}: {key} must be a list of dict(type=...) transforms')


#: Top-level keys pyskl reads that a config may leave unset, so ``--cfg-options`` may add them.
OPTIONAL_KEYS = frozenset(FACTS) | {
    'compile', 'label_map', 'allow_partial_load', 'min_load_fraction', 'load_from', 'resume', 'work_dir', 'launcher',
    'auto_scale_lr', 'randomness', 'env_cfg', 'custom_hooks', 'default_hooks', 'visualizer', 'vis_backends',
    'log_processor', 'log_level', 'experiment_name', 'val_cfg', 'test_cfg', 'train_cfg', 'val_evaluator',
    'test_evaluator', 'val_dataloader', 'test_dataloader', 'train_dataloader', 'optim_wrapper', 'param_scheduler',
    'default_scope', 'runner_type', 'dataset_type', 'train_pipeline', 'val_pipeline', 'test_pipeline',
}  # fmt: skip


def check_option_keys(cfg, cfg_options: dict, where: str = 'config') -> None:
    """Refuse an override whose top-level key the config does not have and pyskl does not read: a typo such as
    ``num_class=5`` or ``ann_flie=mine.pkl`` was merged silently and the run used the config's value."""
    import difflib

    for key in cfg_options:
        top = str(key).split('.')[0]
        if top in cfg or top in OPTIONAL_KEYS:
            continue
        close = difflib.get_close_matches(top, list(cfg.keys()) + sorted(OPTIONAL_KEYS), n=1)
        hint = f' (did you mean {close[0]!r}?)' if close else ''
        raise ValueError(f'{where}: --cfg-options {key}: the config has no key {top!r}{hint}')


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_optimizer(cfg, where: str = 'config') -> None:
    """Refuse an optimizer setting or seed that is not a number where one belongs: ``optim_wrapper.optimizer.lr``
    (finite, > 0; a NaN rate trained an epoch of NaN losses, a string failed deep in mmengine with a TypeError),
    ``momentum`` / ``weight_decay`` (finite, >= 0) and ``randomness.seed`` (an int in [0, 2**32) or None)."""
    optimizer = (cfg.get('optim_wrapper') or {}).get('optimizer') or {}
    for key, low in (('lr', None), ('momentum', 0), ('weight_decay', 0)):
        value = optimizer.get(key) if isinstance(optimizer, dict) else None
        if value is None:
            continue
        if not _is_number(value) or (value <= 0 if low is None else value < low):
            need = 'a finite number > 0' if low is None else 'a finite number >= 0'
            raise ValueError(f'{where}: optim_wrapper.optimizer.{key} must be {need}; got {value!r}')
    seed = (cfg.get('randomness') or {}).get('seed')
    if seed is not None and not (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32):
        raise ValueError(f'{where}: randomness.seed must be an int in [0, 2**32) or None; got {seed!r}')


COMPILE_KEYS = {
    'mode': (str, type(None)),
    'backend': (str,),
    'dynamic': (bool, type(None)),
    'fullgraph': (bool,),
    'options': (dict,),
    'disable': (bool,),
}


def compile_options(value, where: str = 'config') -> Optional[dict]:
    """The ``torch.compile`` arguments a config's top-level ``compile`` asks for, or None for no compilation.

    ``compile`` is absent / None / False (off, the default), True (``torch.compile``'s defaults) or a dict of
    ``torch.compile`` keyword arguments (``mode``, ``backend``, ``dynamic``, ``fullgraph``, ``options``,
    ``disable``). Anything else is an error naming the key, before any work starts."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f'{where}: compile must be True, False or a dict of torch.compile arguments; got {value!r}')
    for key, val in value.items():
        if key not in COMPILE_KEYS:
            raise ValueError(f'{where}: compile.{key} is not a torch.compile argument (one of {sorted(COMPILE_KEYS)})')
        if not isinstance(val, COMPILE_KEYS[key]) or (key == 'options' and not all(isinstance(k, str) for k in val)):
            raise ValueError(f'{where}: compile.{key} has the wrong type: {val!r}')
    if value.get('mode') is not None and value.get('options'):
        raise ValueError(f'{where}: compile.mode and compile.options cannot both be set (torch.compile)')
    return plain(value)

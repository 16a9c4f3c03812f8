"""Config loading and the experiment's top-level facts.

A pyskl config names a few facts once, at the top level:

- ``feats`` (the modality, e.g. ``['j']``, ``['b']``, ``['j', 'b']``) and ``kp_channels`` (channels per
  feature, default 3: ``(x, y, z)`` or ``(x, y, score)``);
- ``layout`` (skeleton name or layout dict), ``num_classes``, ``ann_file`` and ``clip_len``.

Every place that depends on a fact (a *slot*) must agree with it: ``GenSkeFeat.feats`` /
``GenSkeFeat.dataset`` (or ``layout``), ``model.backbone.in_channels = kp_channels * len(feats)``,
``model.backbone.graph_cfg.layout``, ``Spatial_Flip``'s layout, ``model.cls_head.num_classes``, each
``PoseDataset``'s ``layout`` / ``num_classes`` / ``ann_file`` and each frame sampler's ``clip_len``.
:func:`resolve_facts` is the one resolution step: when a fact changes (a leaf config sets it, or
``--cfg-options`` does), every slot that was not set explicitly by the same change follows it; a slot set
explicitly to another value, or a config whose slots already disagree with its facts, is an error naming both
keys.

The same step runs in two places: inside a leaf config (``resolve_leaf(globals())`` as its last line, so
that plain ``mmengine.config.Config.fromfile`` already yields the resolved config) and in
:func:`load_config` (the file's own consistency, then ``--cfg-options``).
"""

import copy
import math
import types
import warnings
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

from mmengine.config import Config

FACTS = ('feats', 'kp_channels', 'layout', 'num_classes', 'ann_file', 'clip_len')
SAMPLERS = ('UniformSampleFrames', 'UniformSample', 'UniformSampleDecode')
DATASETS = ('PoseDataset',)
LAYOUT_TRANSFORMS = ('GenSkeFeat', 'Spatial_Flip')  # transforms whose `dataset` / `layout` follow `layout`
_MISSING = object()

HINT = (
    'Set the top-level key instead (e.g. `--cfg-options num_classes=5`, `layout=coco`, `feats=[b]`, '
    '`ann_file=PATH`, `clip_len=64`): every place follows it. A leaf config that changes a top-level key '
    'ends with `from pyskl.core.config import resolve_leaf` + `resolve_leaf(globals())` (docs/config.md).'
)


class Slot(NamedTuple):
    """A place in the config that follows a top-level fact."""

    path: tuple  # keys / list indices from the config's root
    fact: str  # the top-level key it follows
    fill: bool  # may be filled in when missing


def _plain(obj):
    """Deep copy of ``obj`` with ConfigDicts as dicts and tuples as lists (for comparisons and write-back)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return copy.deepcopy(obj)


def _path_str(path: Sequence) -> str:
    return '.'.join(str(p) for p in path)


def _root(cfg):
    """The dict behind a Config (a Config is not a dict)."""
    return cfg._cfg_dict if isinstance(cfg, Config) else cfg


def _get(cfg, path):
    obj = _root(cfg)
    for key in path:
        if isinstance(obj, dict):
            if key not in obj:
                return _MISSING
            obj = obj[key]
        elif isinstance(obj, (list, tuple)) and isinstance(key, int) and key < len(obj):
            obj = obj[key]
        else:
            return _MISSING
    return obj


def _set(cfg, path, value):
    obj = _root(cfg)
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def _walk(obj, path=()):
    """Yield ``(path, dict)`` for every dict nested in ``obj``."""
    if isinstance(obj, dict):
        yield path, obj
        for k, v in obj.items():
            yield from _walk(v, path + (k,))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk(v, path + (i,))


def slots(cfg) -> List[Slot]:
    """Every slot of ``cfg`` (a Config or dict), in a stable order."""
    found = []
    cfg = _root(cfg)
    for key in list(cfg):
        if key in FACTS:
            continue
        for path, d in _walk(cfg[key], (key,)):
            kind = d.get('type')
            if kind in LAYOUT_TRANSFORMS:
                if kind == 'GenSkeFeat':
                    found.append(Slot(path + ('feats',), 'feats', True))
                named = [k for k in ('layout', 'dataset') if d.get(k) is not None]
                found += [Slot(path + (k,), 'layout', False) for k in named] or [
                    Slot(path + ('dataset',), 'layout', True)
                ]
            elif kind in SAMPLERS:
                found.append(Slot(path + ('clip_len',), 'clip_len', False))
            elif kind in DATASETS or (isinstance(kind, str) and 'ann_file' in d):
                fill = kind in DATASETS
                found += [Slot(path + (k,), k, fill) for k in ('ann_file', 'num_classes', 'layout') if fill or k in d]
    model = cfg.get('model')
    if isinstance(model, dict):
        backbone, head = model.get('backbone'), model.get('cls_head')
        if isinstance(backbone, dict):
            found.append(Slot(('model', 'backbone', 'in_channels'), 'in_channels', True))
            if isinstance(backbone.get('graph_cfg'), dict):
                found.append(Slot(('model', 'backbone', 'graph_cfg', 'layout'), 'layout', True))
        if isinstance(head, dict):
            found.append(Slot(('model', 'cls_head', 'num_classes'), 'num_classes', True))
            if 'joint_cfg' in head:  # ProtoGCN's SimpleHead names the layout of its graph vector
                found.append(Slot(('model', 'cls_head', 'joint_cfg'), 'layout', False))
    return found


#: Upper bounds of the count facts (a 20-digit num_classes was accepted; it sizes the classifier).
FACT_LIMITS = {'num_classes': 1_000_000, 'clip_len': 100_000}


def ann_files(cfg) -> List[str]:
    """The annotation files a config reads: the top-level ``ann_file`` and every dataset's (its ``ann_file`` slots)."""
    found = [cfg.get('ann_file')] + [_get(cfg, s.path) for s in slots(cfg) if s.fact == 'ann_file']
    return list(dict.fromkeys(f for f in found if isinstance(f, str)))


def facts_of(cfg, where: str = 'config') -> Dict[str, object]:
    """The top-level facts of ``cfg`` that are set (not None), normalised (``feats`` a list)."""
    facts = {k: _plain(cfg[k]) for k in FACTS if cfg.get(k) is not None}
    for key in ('num_classes', 'clip_len'):
        value = facts.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f'{where}: {key} must be a positive int; got {value!r}')
        if value is not None and value > FACT_LIMITS[key]:  # the classifier / every clip is sized by it
            raise ValueError(f'{where}: {key} must be at most {FACT_LIMITS[key]}; got {value}')
    if 'feats' in facts:
        feats = facts['feats']
        feats = [feats] if isinstance(feats, str) else feats
        from pyskl.core.layout import FEATS

        if not isinstance(feats, list) or not feats or any(f not in FEATS for f in feats):
            raise ValueError(f'{where}: feats must be a non-empty list of {FEATS}; got {cfg.get("feats")!r}')
        facts['feats'] = feats
    if 'feats' in facts:
        kp = facts.setdefault('kp_channels', 3)
        if not isinstance(kp, int) or isinstance(kp, bool) or kp < 1:
            raise ValueError(f'{where}: kp_channels must be a positive int; got {kp!r}')
        facts['in_channels'] = kp * len(facts['feats'])
    return facts


def _describe(fact, facts):
    if fact == 'in_channels':
        return (
            f'feats={facts["feats"]} (kp_channels {facts["kp_channels"]} x {len(facts["feats"])} '
            f'feature(s) = {facts["in_channels"]} channels)'
        )
    return f'{fact}={facts[fact]!r}'


def resolve_facts(cfg, old_facts: Dict[str, object], explicit: Callable[[tuple], bool], where: str) -> set:
    """The resolution step, in place. ``old_facts``: the facts the slots were written for (before the
    change); ``explicit(path)``: whether the change sets that path itself. Returns the top-level keys it
    modified (facts and the roots of modified slots). Raises ValueError listing every disagreement.

    Rules, per slot: missing -> filled (where the slot may be filled); equal to the fact -> kept; set
    explicitly by the change to another value -> error; otherwise it must equal what ``old_facts`` implied
    (it then follows the new fact), else the config disagreed with itself -> error. A fact that the change
    does not set at the top level but sets in every one of its slots, to one value, moves with them
    (e.g. every dataset's ``ann_file``).
    """
    changed = set()
    found = slots(cfg)
    for fact in ('layout', 'num_classes', 'ann_file', 'clip_len'):
        mine = [s for s in found if s.fact == fact and _get(cfg, s.path) is not _MISSING]
        values = [_plain(_get(cfg, s.path)) for s in mine]
        if (
            mine
            and not explicit((fact,))
            and all(explicit(s.path) for s in mine)
            and cfg.get(fact) is not None
            and all(v == values[0] for v in values)
            and values[0] != _plain(cfg.get(fact))
        ):
            cfg[fact] = values[0]
            changed.add(fact)
    facts = facts_of(cfg, where)
    if 'feats' in facts and cfg.get('feats') != facts['feats']:
        cfg['feats'] = facts['feats']
        changed.add('feats')
    problems = []
    for slot in found:
        if slot.fact not in facts:
            continue
        want, have = facts[slot.fact], _get(cfg, slot.path)
        if have is _MISSING:
            if slot.fill:
                _set(cfg, slot.path, copy.deepcopy(want))
                changed.add(slot.path[0])
            continue
        have = _plain(have)
        if isinstance(have, str) and slot.fact == 'feats':
            have = [have]
        if have == want:
            continue
        if not explicit(slot.path) and slot.fact in old_facts and have == old_facts[slot.fact]:
            _set(cfg, slot.path, copy.deepcopy(want))
            changed.add(slot.path[0])
        else:
            problems.append(f'{_path_str(slot.path)}={have!r} disagrees with {_describe(slot.fact, facts)}')
    if problems:
        raise ValueError(
            f'{where}: {len(problems)} setting(s) disagree with the top-level facts '
            '(feats / kp_channels / layout / num_classes / ann_file / clip_len):\n  '
            + '\n  '.join(problems)
            + '\n'
            + HINT
        )
    return changed


def _tree_has(tree, path) -> bool:
    return _get(tree, path) is not _MISSING


def resolve_leaf(namespace: dict) -> None:
    """Resolve a leaf config in place: call ``resolve_leaf(globals())`` as the last line of a config that
    has ``_base_``. The leaf's own assignments are merged over ``_base_`` (as mmengine does), the facts are
    resolved with the leaf's assignments as the explicit change, and every top-level key that changed is
    written back whole, so that plain ``Config.fromfile`` yields the same config as :func:`load_config`.
    """
    base = namespace.get('_base_')
    if not isinstance(base, dict):
        raise ValueError('resolve_leaf(globals()) belongs in a config file with `_base_`')
    leaf = {
        k: _plain(v)
        for k, v in namespace.items()
        if not k.startswith('__') and k != '_base_' and not isinstance(v, (types.FunctionType, types.ModuleType))
    }
    base = _plain(base)
    merged = Config._merge_a_into_b(copy.deepcopy(leaf), copy.deepcopy(base))
    merged = _plain(merged)
    changed = resolve_facts(merged, facts_of(base, 'the base config'), lambda p: _tree_has(leaf, p), 'this config')
    for key in changed:
        value = merged[key]
        namespace[key] = dict(value, _delete_=True) if isinstance(value, dict) else value


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
    for _, d in _walk(section):
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
    return _plain(value)


def resolve_config(cfg: Config, cfg_options: Optional[dict] = None, where: str = 'config') -> Config:
    """Resolve a loaded config in place: check (and complete) its own facts, then merge ``cfg_options``
    (``--cfg-options``) and resolve them (:func:`resolve_facts`, explicit = the option keys)."""
    file_facts = facts_of(cfg, where)
    resolve_facts(cfg, file_facts, lambda p: False, where)
    if cfg_options:
        check_option_keys(cfg, cfg_options, where)
        cfg.merge_from_dict(cfg_options)
        keys = [str(k) for k in cfg_options]

        def explicit(path):
            s = _path_str(path)
            return any(s == k or s.startswith(k + '.') for k in keys)

        resolve_facts(cfg, file_facts, explicit, f'{where} with --cfg-options')
    check_structure(cfg, where)
    check_schedule(cfg, where)
    check_optimizer(cfg, where)
    compile_options(cfg.get('compile'), where)
    return cfg


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load an mmengine config and :func:`resolve_config` it.

    Every tool, :func:`pyskl.apis.init_recognizer` and the tests load configs through this function.
    """
    import os

    if os.path.isdir(path):
        raise ValueError(f'{path}: is a directory, not a config file (e.g. {os.path.join(path, "j.py")})')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'config not found: {path}')
    if os.path.splitext(path)[1].lower() not in ('.py', '.json', '.yaml', '.yml'):
        raise ValueError(f'{path}: not a config file (a .py config, or .json / .yaml)')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:  # mmengine parses the file (and its _base_ files) before running them
        name = e.filename if e.filename and not e.filename.startswith('<') else path
        where = f'{name}, line {e.lineno}' if e.lineno else name
        raise ValueError(f'{where}: not valid Python ({e.msg})') from None
    from .legacy_config import is_legacy_config

    if is_legacy_config(cfg):  # mmengine would build it with defaults and fail deep inside the runner
        raise ValueError(
            f'{path}: a PYSKL (mmcv 1.x) config (data=dict(videos_per_gpu=..., train=...), total_epochs, lr_config): '
            f'convert it once with `pyskl convert-config {path} NEW.py` and use NEW.py'
        )
    return resolve_config(cfg, cfg_options, where=path)

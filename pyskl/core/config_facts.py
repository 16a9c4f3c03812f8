"""The experiment's top-level facts and the config slots that follow them.

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
import types
from typing import Callable, Dict, List, NamedTuple, Sequence

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


def plain(obj):
    """Deep copy of ``obj`` with ConfigDicts as dicts and tuples as lists (for comparisons and write-back)."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return copy.deepcopy(obj)


def path_str(path: Sequence) -> str:
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


def walk(obj, path=()):
    """Yield ``(path, dict)`` for every dict nested in ``obj``."""
    if isinstance(obj, dict):
        yield path, obj
        for k, v in obj.items():
            yield from walk(v, path + (k,))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from walk(v, path + (i,))


def slots(cfg) -> List[Slot]:
    """Every slot of ``cfg`` (a Config or dict), in a stable order."""
    found = []
    cfg = _root(cfg)
    for key in list(cfg):
        if key in FACTS:
            continue
        for path, d in walk(cfg[key], (key,)):
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
    facts = {k: plain(cfg[k]) for k in FACTS if cfg.get(k) is not None}
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
        values = [plain(_get(cfg, s.path)) for s in mine]
        if (
            mine
            and not explicit((fact,))
            and all(explicit(s.path) for s in mine)
            and cfg.get(fact) is not None
            and all(v == values[0] for v in values)
            and values[0] != plain(cfg.get(fact))
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
        have = plain(have)
        if isinstance(have, str) and slot.fact == 'feats':
            have = [have]
        if have == want:
            continue
        if not explicit(slot.path) and slot.fact in old_facts and have == old_facts[slot.fact]:
            _set(cfg, slot.path, copy.deepcopy(want))
            changed.add(slot.path[0])
        else:
            problems.append(f'{path_str(slot.path)}={have!r} disagrees with {_describe(slot.fact, facts)}')
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
        k: plain(v)
        for k, v in namespace.items()
        if not k.startswith('__') and k != '_base_' and not isinstance(v, (types.FunctionType, types.ModuleType))
    }
    base = plain(base)
    merged = Config._merge_a_into_b(copy.deepcopy(leaf), copy.deepcopy(base))
    merged = plain(merged)
    changed = resolve_facts(merged, facts_of(base, 'the base config'), lambda p: _tree_has(leaf, p), 'this config')
    for key in changed:
        value = merged[key]
        namespace[key] = dict(value, _delete_=True) if isinstance(value, dict) else value

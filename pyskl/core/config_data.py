"""A resolved config stored in a checkpoint as plain data, and read back without running anything.

mmengine stores ``meta['cfg']`` as Python source text; turning that back into a config executes it, so pyskl never
does. Instead every checkpoint pyskl saves carries ``meta['pyskl_config']``: the resolved config as nested
dicts / lists / strings / numbers (:func:`config_to_data`), and ``meta['classes']`` when a label map is known.
:func:`config_from_data` rebuilds a :class:`mmengine.config.Config` from that data after checking that it holds
only builtin values and nothing that makes mmengine import modules (``custom_imports``, ``_scope_``, a
``default_scope`` other than ``pyskl``, or a dotted ``type`` name). Torch-free.
"""

import re
from typing import Any, Dict, List, Optional

from .reprs import short_repr

__all__ = [
    'CONFIG_KEY',
    'CLASSES_KEY',
    'FACT_KEYS',
    'config_to_data',
    'config_from_data',
    'config_facts',
    'compare_facts',
]

#: ``meta`` keys of a pyskl checkpoint.
CONFIG_KEY = 'pyskl_config'
CLASSES_KEY = 'classes'

_PLAIN = (type(None), bool, int, float, str)
_TYPE_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
_SAFE_KEY = re.compile(r'^[^\'"\\\\]{1,200}$')  # no quote, no backslash
_MAX_DEPTH = 64
#: Most entries (dict values, list items, expanded) a config stored in a checkpoint may have.
_MAX_ENTRIES = 1_000_000


def _to_plain(obj: Any, path: str, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise ValueError(f'config entry {path} is nested more than {_MAX_DEPTH} levels deep')
    if isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f'config entry {path} has a non-string key {k!r}')
            out[k] = _to_plain(v, f'{path}.{k}', depth + 1)
        return out
    if isinstance(obj, (list, tuple)):
        items = [_to_plain(v, f'{path}[{i}]', depth + 1) for i, v in enumerate(obj)]
        return tuple(items) if isinstance(obj, tuple) else items
    raise TypeError(f'config entry {path} is a {type(obj).__name__}, not plain data')


def config_to_data(cfg) -> Dict[str, Any]:
    """The config (an mmengine ``Config`` or a dict) as nested builtin containers and values.

    Values that are not plain data (functions, modules, classes given as ``type=``) are dropped: such a config
    cannot be stored as data, and a warning-free round trip is only promised for configs that are data already.
    """
    raw = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    out = {}
    for key, value in raw.items():
        try:
            out[key] = _to_plain(value, key)
        except (TypeError, ValueError):
            continue  # e.g. a helper function defined in a config file
    return out


def _check(obj: Any, path: str, source: str, depth: int = 0, seen: Optional[Dict[int, int]] = None) -> int:
    """Check a stored config (see :func:`config_from_data`); the number of entries of its expanded tree.

    ``seen`` maps the containers already checked to their expanded size: a part referenced from several places
    (a config may share its pipelines) is checked once, and the expanded total is bounded by
    :data:`_MAX_ENTRIES` (a checkpoint's pickle could nest shared parts so that expanding them never ends)."""
    seen = {} if seen is None else seen
    if depth > _MAX_DEPTH:
        raise ValueError(f'{source}: the stored config is nested more than {_MAX_DEPTH} levels deep at {path}')
    if isinstance(obj, _PLAIN):
        return 1
    if id(obj) in seen:
        return seen[id(obj)]
    entries = 1
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ValueError(f'{source}: the stored config has a non-string key at {path}')
            if not (_TYPE_NAME.match(k) if depth == 0 else _SAFE_KEY.match(k) and k.isprintable()):
                # mmengine writes a config back as Python source with such keys unescaped (a top-level one
                # as `key=...`, a nested one inside quotes): a crafted key would become code in the dumped file
                raise ValueError(
                    f'{source}: the stored config has the key {short_repr(k)} at {path}; '
                    + ('a top-level key must be a Python name' if depth == 0 else 'quotes and backslashes are refused')
                )
            if k in ('_scope_', 'custom_imports'):
                raise ValueError(
                    f'{source}: the stored config sets {path}.{k}, which would make mmengine import '
                    'modules; refusing it (pass a config file you trust instead)'
                )
            if k == 'type' and not (isinstance(v, str) and _TYPE_NAME.match(v)):
                raise ValueError(
                    f'{source}: the stored config has {path}.type = {short_repr(v)}; only plain registered '
                    'names are accepted from a checkpoint'
                )
            entries += _check(v, f'{path}.{k}', source, depth + 1, seen)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            entries += _check(v, f'{path}[{i}]', source, depth + 1, seen)
    else:
        raise ValueError(
            f'{source}: the stored config holds a {type(obj).__name__} at {path}; only plain data is accepted'
        )
    if entries > _MAX_ENTRIES:
        raise ValueError(
            f'{source}: the stored config expands to more than {_MAX_ENTRIES} entries at {path} (its parts are '
            'shared and nested in each other); a config has a few thousand'
        )
    seen[id(obj)] = entries
    return entries


def config_from_data(data: Any, source: str = '<checkpoint>'):
    """Rebuild a :class:`mmengine.config.Config` from :func:`config_to_data`'s output, checking it first.

    Raises:
        ValueError: ``data`` is not a dict of plain data, or it would make mmengine import modules (the message
            names ``source`` and the entry).
    """
    from mmengine.config import Config

    if not isinstance(data, dict):
        raise ValueError(f'{source}: the stored config is a {type(data).__name__}, not a dict')
    _check(data, 'config', source)
    if data.get('default_scope', 'pyskl') != 'pyskl':
        raise ValueError(f"{source}: the stored config's default_scope is {data['default_scope']!r}, not 'pyskl'")
    if 'model' not in data:
        raise ValueError(f'{source}: the stored config has no model')
    return Config(data)


#: The facts of an experiment that a checkpoint and a test config must agree on.
FACT_KEYS = ('feats', 'layout', 'num_classes', 'in_channels', 'backbone')


def config_facts(cfg) -> Dict[str, Any]:
    """``feats``, ``layout``, ``num_classes``, ``in_channels`` and the backbone ``type`` of a resolved config."""
    model = cfg.get('model') or {}
    backbone = model.get('backbone') or {}
    head = model.get('cls_head') or {}
    graph = backbone.get('graph_cfg') or {}
    feats = cfg.get('feats')
    return dict(
        feats=None if feats is None else list(feats),
        layout=graph.get('layout', cfg.get('layout')),
        num_classes=head.get('num_classes', cfg.get('num_classes')),
        in_channels=backbone.get('in_channels'),
        backbone=backbone.get('type'),
    )


def compare_facts(stored, given, keys=FACT_KEYS) -> List[str]:
    """``'key: checkpoint X, config Y'`` for every fact of ``keys`` on which two configs disagree (a fact that one
    of them does not state is not compared)."""
    a, b = config_facts(stored), config_facts(given)
    return [
        f'{k}: checkpoint {a[k]!r}, config {b[k]!r}'
        for k in keys
        if a[k] is not None and b[k] is not None and a[k] != b[k]
    ]


def stored_classes(meta: Optional[dict]) -> Optional[List[str]]:
    """The class names stored in a checkpoint's ``meta`` (None when absent or malformed)."""
    classes = (meta or {}).get(CLASSES_KEY)
    if isinstance(classes, (list, tuple)) and all(isinstance(c, str) for c in classes):
        return list(classes)
    return None

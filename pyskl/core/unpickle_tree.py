"""The last step of a guarded load (torch-free): :func:`finalize` replaces the proxies of
:mod:`pyskl.core.unpickle_guard` by the real objects and bounds the loaded tree: its nesting depth, reference cycles,
and the size its shared parts expand to.
"""

from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from .unpickle_guard import (
    MAX_DEPTH,
    ArrayProxy,
    DtypeProxy,
    FileFormatError,
    LoadContext,
    LoadLimitError,
    _checked_dtype,
)

__all__ = ['finalize', 'EXPANSION_FACTOR', 'MAX_EXPANDED_ITEMS']

#: A loaded tree, expanded, may have ``EXPANSION_FACTOR`` x the container slots of the file plus ``MAX_EXPANDED_ITEMS``
#: items (its parts may be shared, not nested exponentially).
EXPANSION_FACTOR = 4
MAX_EXPANDED_ITEMS = 10_000_000


def finalize(obj: Any, ctx: LoadContext, converters: Optional[Dict[type, Callable]] = None) -> Any:
    """Replace the proxies in a loaded tree by real objects (in place for lists and dicts), enforce
    :data:`MAX_DEPTH`, and refuse reference cycles and shared parts that expand too far.

    A pickle can reference one container from many places (its memo): ``x = [x, x]`` sixty times is a file of a
    few hundred bytes whose tree has 2**60 leaves, and a container can contain itself. Genuine data files share
    little (a tuple reused for every sample's ``img_shape``) and never loop, but anything that walks the tree
    without remembering what it has seen (printing it, converting it to an array, a config) would run forever.
    So the tree, expanded, may have at most ``EXPANSION_FACTOR`` times the container slots the file really
    holds, plus :data:`MAX_EXPANDED_ITEMS`; this pass itself visits every container once.

    Args:
        obj: The unpickled object.
        ctx (LoadContext): The load (for its path).
        converters (dict | None): ``{proxy type: fn(proxy) -> object}`` for loader-specific proxies.
    """

    def array_of(proxy: ArrayProxy) -> np.ndarray:
        if proxy.array is None:
            raise ctx.fail(FileFormatError(f'{ctx.path}: corrupt numpy array: reconstructed without data'))
        return proxy.array

    converters = dict(converters or {})
    converters.setdefault(ArrayProxy, array_of)
    converters.setdefault(DtypeProxy, lambda p: p.dtype)
    memo: Dict[int, Tuple[Any, int]] = {}  # id -> (result, items of its expanded tree)
    active = set()  # ids of the containers being walked (an id met again among them is a cycle)
    slots = [0]  # container slots the file really holds

    def walk(value: Any, depth: int) -> Tuple[Any, int]:
        kind = type(value)
        if kind in (int, float, str, bytes, bool, type(None), complex):
            return value, 1
        key = id(value)
        if key in active:
            raise ctx.fail(
                LoadLimitError(f'{ctx.path}: a {kind.__name__} contains itself (a reference cycle): data files do not')
            )
        if key in memo:
            return memo[key]
        if depth > MAX_DEPTH:
            raise ctx.fail(LoadLimitError(f'{ctx.path}: too deep: containers nested more than {MAX_DEPTH} levels'))
        active.add(key)
        try:
            if kind in converters:
                converted = converters[kind](value)
                memo[key] = (converted, 1) if converted is value else walk(converted, depth)
                return memo[key]
            items = 1
            if isinstance(value, list):
                slots[0] += len(value)
                for i, item in enumerate(value):
                    value[i], n = walk(item, depth + 1)
                    items += n
            elif isinstance(value, dict):
                slots[0] += 2 * len(value)
                walked = [(walk(k, depth + 1), walk(v, depth + 1)) for k, v in value.items()]
                items += sum(nk + nv for (_, nk), (_, nv) in walked)
                pairs = [(k, v) for (k, _), (v, _) in walked]
                if any(k is not k0 or v is not v0 for (k, v), (k0, v0) in zip(pairs, value.items())):
                    value.clear()
                    value.update(pairs)
            elif isinstance(value, (tuple, set, frozenset)):
                slots[0] += len(value)
                walked = [walk(v, depth + 1) for v in value]
                items += sum(n for _, n in walked)
                parts = [v for v, _ in walked]
                if any(a is not b for a, b in zip(parts, value)):
                    value = tuple(parts) if kind is tuple else kind(parts)
            elif isinstance(value, (np.ndarray, np.generic)):
                _checked_dtype(value.dtype, ctx)
            memo[key] = (value, items)
            return value, items
        finally:
            active.discard(key)

    result, items = walk(obj, 0)
    limit = EXPANSION_FACTOR * slots[0] + MAX_EXPANDED_ITEMS
    if items > limit:
        raise ctx.fail(
            LoadLimitError(
                f'{ctx.path}: too many shared references: the file holds {slots[0]} container slots, but its '
                f'containers reference each other so that walking it would visit {items:.3g} items '
                f'(limit {limit}); a data file repeats parts, it does not nest them in themselves'
            )
        )
    return result

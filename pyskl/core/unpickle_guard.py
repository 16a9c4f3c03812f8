"""Guards shared by the annotation unpickler and the checkpoint loader (torch-free).

What a hostile pickle could otherwise do with the few numpy / builtin callables the loaders admit:

- forge a dtype (``dtype('O8')``, or a ``float64`` whose state claims object flags) and build an array
  whose raw bytes are read as object pointers: touching it crashes the process (SIGSEGV);
- call ``bytearray(2**31)`` or declare a huge array and make a 40-byte file allocate gigabytes;
- nest containers a million levels deep so that anything walking the result hits ``RecursionError``.

So the loaders never hand a file's callables the real numpy functions. They resolve

- ``numpy.dtype`` to :func:`_dtype_factory`, which builds a :class:`DtypeProxy` from a whitelisted dtype
  string (bool, integer, float, complex, str, bytes: :data:`ALLOWED_KINDS`); its ``__setstate__`` reads only
  the byte order and the str/bytes length from the file's state, and builds the canonical dtype itself
  (the file's flags, fields and subarray entries are never applied);
- ``_reconstruct`` / ``ndarray`` to an :class:`ArrayProxy`, whose ``__setstate__`` checks the state (raw bytes
  of exactly ``prod(shape) * itemsize`` bytes, an admitted dtype) before numpy's own ``__setstate__`` runs;
- ``scalar`` / ``_frombuffer`` / the builtin constructors to checking wrappers that refuse other dtypes and
  charge what they allocate against the load's budget *before* allocating.

:func:`pyskl.core.unpickle_tree.finalize` then replaces the proxies by the real objects and bounds the tree.

Limits of one load (:class:`LoadContext`): the bytes created by these callables may not exceed
``SIZE_FACTOR * file size + PYSKL_MAX_LOAD_BYTES`` (default ``4 * size + 1 GiB``; the arrays of a genuine file
are stored in the file itself, so it needs about ``1 * size``), and containers may nest at most
:data:`MAX_DEPTH` levels.
"""

import collections
import operator
import os
import pickle
import re
import threading
from functools import reduce
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

__all__ = [
    'LoadError',
    'UnsafePickleError',
    'FileFormatError',
    'LoadLimitError',
    'LoadContext',
    'max_load_bytes',
    'guarded_numpy_globals',
    'ArrayProxy',
    'DtypeProxy',
    'ALLOWED_KINDS',
    'MAX_DEPTH',
    'SIZE_FACTOR',
    'DEFAULT_MAX_LOAD_BYTES',
]

#: dtype kinds a loaded array or numpy scalar may have: bool, signed/unsigned int, float, complex, str, bytes.
ALLOWED_KINDS = 'biufcUS'
#: Deepest container nesting a loaded file may have.
MAX_DEPTH = 100
#: A load may allocate ``SIZE_FACTOR * file size + max_load_bytes()`` bytes through the admitted callables.
SIZE_FACTOR = 4
#: Default of the ``PYSKL_MAX_LOAD_BYTES`` environment variable: 1 GiB.
DEFAULT_MAX_LOAD_BYTES = 1 << 30
#: Pointer size charged per element when a builtin container is built from an iterable.
_SLOT_BYTES = 8


class LoadError(pickle.UnpicklingError):
    """A file could not be loaded; the message begins with the file's path."""


class UnsafePickleError(LoadError):
    """The file asks for something a data file never needs: a global outside the allow-list, an object or
    structured dtype, a reconstruction the loaders do not admit. Nothing from the file has run."""


class FileFormatError(LoadError, ValueError):
    """The file is empty, truncated, a text file, not a pickle / checkpoint, or lacks what is expected."""


class LoadLimitError(LoadError):
    """The file would allocate more than the limit or nests containers deeper than :data:`MAX_DEPTH`."""


def max_load_bytes() -> int:
    """``PYSKL_MAX_LOAD_BYTES`` (bytes, an integer; default :data:`DEFAULT_MAX_LOAD_BYTES` = 1 GiB)."""
    value = os.environ.get('PYSKL_MAX_LOAD_BYTES', '')
    if not value.strip():
        return DEFAULT_MAX_LOAD_BYTES
    try:
        limit = int(value)
    except ValueError:
        raise ValueError(f'PYSKL_MAX_LOAD_BYTES must be a number of bytes, got {value!r}') from None
    if limit < 0:
        raise ValueError(f'PYSKL_MAX_LOAD_BYTES must not be negative, got {limit}')
    return limit


_state = threading.local()


class LoadContext:
    """The file being loaded and what it has allocated so far (one per load; used as a context manager).

    Args:
        path (str): The file (named in every error).
        file_size (int): Its size in bytes.
    """

    def __init__(self, path: str, file_size: int):
        self.path = path
        self.extra = max_load_bytes()
        self.budget = SIZE_FACTOR * file_size + self.extra
        self.used = 0
        self.error: Optional[LoadError] = None  # first error raised inside a callable (torch re-wraps them)

    def __enter__(self) -> 'LoadContext':
        stack = getattr(_state, 'stack', None)
        if stack is None:
            stack = _state.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _state.stack.pop()

    def fail(self, error: LoadError) -> LoadError:
        """Remember and return ``error`` (raise it)."""
        if self.error is None:
            self.error = error
        return error

    def charge(self, nbytes: int, what: str) -> None:
        """Account for ``nbytes`` about to be allocated for ``what``; raise :class:`LoadLimitError` first if the
        load would exceed its budget."""
        self.used += max(int(nbytes), 0)
        if self.used > self.budget:
            raise self.fail(
                LoadLimitError(
                    f'{self.path}: too large: {what} would bring what this file allocates to {self.used} bytes, '
                    f'more than the limit of {self.budget} bytes ({SIZE_FACTOR} x the file size + '
                    f'PYSKL_MAX_LOAD_BYTES={self.extra}). A genuine file stores its arrays itself; raise '
                    'PYSKL_MAX_LOAD_BYTES only if you trust this one.'
                )
            )

    def unsafe(self, what: str) -> UnsafePickleError:
        return self.fail(UnsafePickleError(f'{self.path}: refusing to load: {what}'))


def current() -> LoadContext:
    stack = getattr(_state, 'stack', None)
    if not stack:
        raise UnsafePickleError('a guarded reconstructor was called outside a pyskl load')
    return stack[-1]


# ----------------------------------------------------------------------------------------------- dtypes
_DTYPE_SPEC = re.compile(r'^[<>=|]?([biufcUS?])(\d{0,9})$')


def _checked_dtype(dt: np.dtype, ctx: LoadContext) -> np.dtype:
    if dt.kind not in ALLOWED_KINDS or dt.hasobject or dt.fields is not None or dt.subdtype is not None:
        raise ctx.unsafe(
            f'the numpy dtype {dt!r} is not admitted: only bool, integer, float, complex, str and '
            'bytes dtypes are (no object, structured or void dtypes)'
        )
    return dt


def resolve_dtype(spec: Any, ctx: LoadContext) -> np.dtype:
    """The canonical numpy dtype for a dtype argument found in a file (a :class:`DtypeProxy` or a short
    dtype string such as ``'f8'``, ``b'b'``, ``'U10'``)."""
    if isinstance(spec, DtypeProxy):
        return spec.dtype
    if isinstance(spec, bytes):
        spec = spec.decode('latin1')
    if isinstance(spec, str) and _DTYPE_SPEC.match(spec):
        return _checked_dtype(np.dtype(spec), ctx)
    raise ctx.unsafe(
        f'the numpy dtype {spec!r} is not admitted: only bool, integer, float, complex, str and '
        'bytes dtypes are (no object, structured or void dtypes)'
    )


class DtypeProxy:
    """Stands for ``numpy.dtype(spec)`` while a file is read; :func:`finalize` puts the dtype in its place."""

    __slots__ = ('dtype', 'built')

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.dtype = None
        self.built = False
        return self

    def __setstate__(self, state: Any) -> None:
        ctx = current()
        if self.dtype is None or self.built:
            raise ctx.unsafe('a numpy dtype state applied twice or to nothing')
        if not (
            isinstance(state, tuple)
            and len(state) in (8, 9)
            and state[0] in (3, 4)
            and state[1] in ('<', '>', '|', '=')
            and state[2] is None
            and state[3] is None
            and state[4] is None
            and all(type(v) is int for v in state[5:8])
            and (len(state) == 8 or state[8] is None)
        ):
            raise ctx.unsafe(
                f'unexpected numpy dtype state {state!r:.200} (subarrays, fields and metadata are not admitted)'
            )
        dt, elsize = self.dtype, state[5]
        if dt.kind in 'US' and elsize >= 0:
            unit = 4 if dt.kind == 'U' else 1
            if elsize % unit:
                raise ctx.unsafe(f'numpy dtype {dt.kind} with item size {elsize}')
            dt = np.dtype(f'{dt.kind}{elsize // unit}')
        if state[1] in '<>' and dt.itemsize > 1 and dt.kind != 'S':
            dt = dt.newbyteorder(state[1])
        self.dtype = _checked_dtype(dt, ctx)
        self.built = True


def _dtype_factory(spec: Any, align: Any = False, copy: Any = True) -> DtypeProxy:
    proxy = DtypeProxy()
    proxy.dtype = resolve_dtype(spec, current())
    return proxy


# ----------------------------------------------------------------------------------------------- arrays
def _shape(value: Any, ctx: LoadContext) -> Tuple[int, ...]:
    if type(value) is int:
        value = (value,)
    if not (type(value) is tuple and len(value) <= 64 and all(type(v) is int and v >= 0 for v in value)):
        raise ctx.unsafe(f'invalid numpy array shape {value!r:.100}')
    return value


def _nbytes(shape: Tuple[int, ...], dt: np.dtype) -> int:
    return reduce(operator.mul, shape, 1) * dt.itemsize


class _NdarrayToken:
    """What the name ``numpy.ndarray`` resolves to: accepted only as ``_reconstruct``'s first argument."""

    def __new__(cls, *args, **kwargs):
        raise current().unsafe('numpy.ndarray may only be reconstructed through its pickle state')


class ArrayProxy:
    """Stands for an ndarray while a file is read; its state is checked before numpy's ``__setstate__``."""

    __slots__ = ('array',)

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.array = None
        return self

    def __setstate__(self, state: Any) -> None:
        ctx = current()
        if self.array is not None:
            raise ctx.unsafe('a numpy array state applied twice')
        if isinstance(state, tuple) and len(state) == 4:
            state = (1,) + state
        if not (isinstance(state, tuple) and len(state) == 5 and type(state[0]) is int and type(state[3]) is bool):
            raise ctx.unsafe(f'unexpected numpy array state {state!r:.200}')
        version, shape, dt, fortran, raw = state
        shape, dt = _shape(shape, ctx), resolve_dtype(dt, ctx)
        if not isinstance(raw, (bytes, bytearray)):
            raise ctx.unsafe(f'numpy array data of type {type(raw).__name__} (only raw bytes are admitted)')
        nbytes = _nbytes(shape, dt)
        if nbytes != len(raw):
            raise ctx.fail(
                FileFormatError(
                    f'{ctx.path}: corrupt numpy array: shape {shape} of {dt} needs '
                    f'{nbytes} bytes, the file holds {len(raw)}'
                )
            )
        ctx.charge(nbytes, f'a {dt} array of shape {shape}')
        array = _REAL['_reconstruct'](np.ndarray, (0,), b'b')
        array.__setstate__((version, shape, dt, fortran, raw))
        self.array = array


def _reconstruct(cls: Any, shape: Any, dtype: Any) -> ArrayProxy:
    ctx = current()
    if cls is not _NdarrayToken:
        raise ctx.unsafe(f'_reconstruct of {cls!r:.100} (only numpy.ndarray is admitted)')
    _shape(shape, ctx)
    resolve_dtype(dtype, ctx)
    return ArrayProxy()


def _scalar(dtype: Any, data: Any = None) -> Any:
    ctx = current()
    dt = resolve_dtype(dtype, ctx)
    if not isinstance(data, bytes) or len(data) != dt.itemsize:
        raise ctx.unsafe(f'numpy scalar of {dt} from {type(data).__name__} data (needs {dt.itemsize} bytes)')
    return _REAL['scalar'](dt, data)


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    ctx = current()
    dt, shape = resolve_dtype(dtype, ctx), _shape(shape, ctx)
    if isinstance(buf, pickle.PickleBuffer):
        buf = buf.raw()
    if not isinstance(buf, (bytes, bytearray, memoryview)) or order not in ('C', 'F', 'A', 'K'):
        raise ctx.unsafe(f'numpy _frombuffer from {type(buf).__name__} with order {order!r:.20}')
    nbytes = _nbytes(shape, dt)
    if nbytes != memoryview(buf).nbytes:
        raise ctx.fail(
            FileFormatError(
                f'{ctx.path}: corrupt numpy array: shape {shape} of {dt} needs {nbytes} '
                f'bytes, the file holds {memoryview(buf).nbytes}'
            )
        )
    ctx.charge(nbytes, f'a {dt} array of shape {shape}')
    if nbytes == 0:
        return np.zeros(shape, dt)
    return _REAL['_frombuffer'](buf, dt, shape, order)


def _numpy_core(name: str):
    import importlib

    try:
        return importlib.import_module(f'numpy._core.{name}')
    except ImportError:  # numpy 1.x
        return importlib.import_module(f'numpy.core.{name}')


_REAL: Dict[str, Callable] = {
    '_reconstruct': _numpy_core('multiarray')._reconstruct,
    'scalar': _numpy_core('multiarray').scalar,
    '_frombuffer': _numpy_core('numeric')._frombuffer,
}


def guarded_numpy_globals() -> Dict[Tuple[str, str], Any]:
    """``(module, name) -> guarded callable`` for the names numpy 1.x (``numpy.core``) and 2.x (``numpy._core``)
    pickles of arrays, dtypes and scalars use."""
    allowed: Dict[Tuple[str, str], Any] = {('numpy', 'ndarray'): _NdarrayToken, ('numpy', 'dtype'): _dtype_factory}
    for core in ('numpy.core', 'numpy._core'):
        allowed[(f'{core}.multiarray', '_reconstruct')] = _reconstruct
        allowed[(f'{core}.multiarray', 'scalar')] = _scalar
        allowed[(f'{core}.numeric', '_frombuffer')] = _frombuffer
    return allowed


# ------------------------------------------------------------------------------------- builtin constructors
def _sized_arg(value: Any) -> int:
    """Bytes a builtin constructor may allocate for ``value``: an int is a length (``bytearray(n)``)."""
    if type(value) is int:
        return value
    try:
        return len(value) * _SLOT_BYTES
    except TypeError:
        return 0


def _guard_builtin(kind: type) -> Callable:
    def construct(*args, **kwargs):
        ctx = current()
        if kwargs:
            raise ctx.unsafe(f'{kind.__name__}() with keyword arguments')
        size = sum(_sized_arg(a) for a in args[:1])
        if kind in (bytes, bytearray) and args and type(args[0]) is str:
            size = 4 * len(args[0])
        ctx.charge(size, f'{kind.__name__}() of {size} bytes')
        return kind(*args)

    construct.__name__ = construct.__qualname__ = kind.__name__
    construct.wrapped = kind
    return construct


def _defaultdict(factory: Any = None, *args) -> collections.defaultdict:
    ctx = current()
    factory = getattr(factory, 'wrapped', factory)
    if factory not in (None, list, dict, set, int, float, str, tuple):
        raise ctx.unsafe(f'defaultdict with the default factory {factory!r:.100}')
    return collections.defaultdict(factory, *args)


def guarded_builtin_globals() -> Dict[Tuple[str, str], Any]:
    """``(module, name) -> guarded constructor`` for builtin containers / values older pickles name."""
    allowed: Dict[Tuple[str, str], Any] = {
        ('collections', 'OrderedDict'): _guard_builtin(collections.OrderedDict),
        ('collections', 'defaultdict'): _defaultdict,
    }
    for module in ('builtins', '__builtin__'):  # protocol 2 writes __builtin__
        for kind in (set, frozenset, slice, complex, bytes, bytearray, list, tuple, dict, int, float, str, bool):
            allowed[(module, kind.__name__)] = _guard_builtin(kind)
    return allowed

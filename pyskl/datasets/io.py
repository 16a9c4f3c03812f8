"""Reading and writing annotation pickles without executing code.

PYSKL and MMAction2 distribute skeleton annotations as pickles (``ntu60_3danno.pkl``, ...).
A plain :func:`pickle.load` runs whatever callable the file names, so a downloaded file could
run arbitrary code. :func:`safe_load_pickle` reads them with an unpickler whose
``find_class`` admits only the few globals that numpy arrays, numpy scalars and builtin
containers need; any other global (``os.system``, ``builtins.eval``, ...) is refused by name
before anything from the file is called.

Files written by numpy 1.x (module ``numpy.core``) and numpy 2.x (module ``numpy._core``), with
pickle protocols 2 to 5, are read; both spellings resolve to the running numpy's functions
(the deprecated ``numpy.core`` alias is never imported).
"""
import codecs
import collections
import os
import os.path as osp
import pickle
from typing import Any, Dict, Tuple, Union

import numpy as np

__all__ = ['UnsafePickleError', 'safe_load_pickle', 'dump_pickle']

PathLike = Union[str, 'os.PathLike[str]']


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names a global that :func:`safe_load_pickle` does not admit."""


def _numpy_core_module(name: str):
    """The running numpy's ``numpy._core.<name>`` (numpy 2) or ``numpy.core.<name>`` (numpy 1)."""
    import importlib
    try:
        return importlib.import_module(f'numpy._core.{name}')
    except ImportError:  # numpy 1.x
        return importlib.import_module(f'numpy.core.{name}')


def _latin1_encode(obj, encoding='utf-8', errors='strict'):
    """``_codecs.encode`` restricted to what protocol-2 pickles use for ``bytes``.

    Protocol 2 stores a ``bytes`` object as ``_codecs.encode(str, 'latin1')``; other codecs are
    not needed and not admitted.
    """
    if not isinstance(obj, str) or codecs.lookup(encoding).name != 'iso8859-1':
        raise UnsafePickleError(f'_codecs.encode is admitted only for str with the latin1 encoding, '
                                f'got {type(obj).__name__} with encoding {encoding!r}')
    return codecs.encode(obj, encoding, errors)


def numpy_globals() -> Dict[Tuple[str, str], Any]:
    """``(module, name) -> object`` for what pickles of numpy arrays, dtypes and scalars name, under both
    numpy 1.x (``numpy.core``) and 2.x (``numpy._core``) module names. Shared with the checkpoint loader
    (:mod:`pyskl.utils.checkpoint`)."""
    multiarray = _numpy_core_module('multiarray')
    numeric = _numpy_core_module('numeric')
    allowed: Dict[Tuple[str, str], Any] = {('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype}
    for core in ('numpy.core', 'numpy._core'):
        allowed[(f'{core}.multiarray', '_reconstruct')] = multiarray._reconstruct
        allowed[(f'{core}.multiarray', 'scalar')] = multiarray.scalar
        allowed[(f'{core}.numeric', '_frombuffer')] = numeric._frombuffer  # protocol 5
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25: dtype classes, e.g. numpy.dtypes.Float64DType
    for name in dir(dtypes) if dtypes is not None else ():
        obj = getattr(dtypes, name)
        if isinstance(obj, type) and name.endswith('DType'):
            allowed[('numpy.dtypes', name)] = obj
    return allowed


def _allowed_globals() -> Dict[Tuple[str, str], Any]:
    """``(module, name) -> object`` for every global the safe unpickler admits."""
    allowed = numpy_globals()
    allowed.update({
        ('_codecs', 'encode'): _latin1_encode,
        ('collections', 'OrderedDict'): collections.OrderedDict,
        ('collections', 'defaultdict'): collections.defaultdict,
    })
    for builtins_module in ('builtins', '__builtin__'):  # protocol 2 writes __builtin__
        for obj in (set, frozenset, slice, complex, bytes, bytearray, list, tuple, dict, int, float, str,
                    bool):
            allowed[(builtins_module, obj.__name__)] = obj
    return allowed


_ALLOWED = _allowed_globals()


class _SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals of :func:`_allowed_globals`."""

    def __init__(self, file, source: str):
        super().__init__(file)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        obj = _ALLOWED.get((module, name))
        if obj is None and module == 'numpy.dtypes' and name.endswith('DType'):
            # numpy >= 1.25 may pickle dtypes by their class, e.g. numpy.dtypes.Float32DType
            import numpy.dtypes
            candidate = getattr(numpy.dtypes, name, None)
            if isinstance(candidate, type) and issubclass(candidate, np.dtype):
                obj = candidate
        if obj is None:
            raise UnsafePickleError(
                f'{self._source}: refusing to load the global {module}.{name}: annotation pickles may '
                'hold only numpy arrays/scalars and builtin containers (a pickle that names other '
                'globals could run code). If you trust the file, convert it with plain pickle.')
        return obj


def safe_load_pickle(path: PathLike) -> Any:
    """Load a pickle that may hold only numpy arrays/scalars and builtin containers.

    Args:
        path (str | os.PathLike): The pickle file, e.g. ``'data/nturgbd/ntu60_3danno.pkl'``.

    Returns:
        The unpickled object (for annotation files a ``dict`` with ``split`` and
        ``annotations`` or a ``list`` of annotation dicts).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        UnsafePickleError: if the file names any other global (the message names the file and
            the global as ``module.name``); nothing from the file has been called then.
        pickle.UnpicklingError: if the file is not a valid pickle (the message names the file).
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file not found: {path!r}')
    with open(path, 'rb') as f:
        try:
            return _SafeUnpickler(f, path).load()
        except UnsafePickleError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
                KeyError) as e:
            raise pickle.UnpicklingError(f'{path}: not a readable annotation pickle: '
                                         f'{type(e).__name__}: {e}') from e


def dump_pickle(obj: Any, path: PathLike, protocol: int = 4) -> None:
    """Write ``obj`` to ``path`` with :func:`pickle.dump`, atomically.

    The parent directory is created if needed; the file is written to a temporary name in the
    same directory and renamed, so a crash never leaves a truncated pickle behind.

    Args:
        obj: The object, e.g. an annotation ``dict(split=..., annotations=[...])``.
        path (str | os.PathLike): Output file.
        protocol (int): Pickle protocol. Defaults to 4 (readable by Python >= 3.4 and by
            every numpy version :func:`safe_load_pickle` supports).
    """
    path = os.fspath(path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = osp.join(directory, f'.{osp.basename(path)}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            pickle.dump(obj, f, protocol=protocol)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise

"""Reading and writing annotation pickles without executing code.

PYSKL and MMAction2 distribute skeleton annotations as pickles (``ntu60_3danno.pkl``, ...).
A plain :func:`pickle.load` runs whatever callable the file names, so a downloaded file could
run arbitrary code. :func:`safe_load_pickle` reads them with an unpickler whose
``find_class`` admits only the few globals that numpy arrays, numpy scalars and builtin
containers need; any other global (``os.system``, ``builtins.eval``, ...) is refused by name
before anything from the file is called.

Files written by numpy 1.x (module ``numpy.core``) and numpy 2.x (module ``numpy._core``), with
pickle protocols 2 to 5, are read; both spellings resolve to the running numpy's functions
(the deprecated ``numpy.core`` alias is never imported). The numpy and builtin callables are guarded
(:mod:`pyskl.core.unpickle_guard`): no object or structured dtypes, bounded allocation and nesting.
"""

import codecs
import os
import os.path as osp
import pickle
from typing import Any, Dict, Tuple, Union

from .unpickle_guard import (
    FileFormatError,
    LoadContext,
    LoadError,
    LoadLimitError,
    UnsafePickleError,
    current,
    guarded_builtin_globals,
    guarded_numpy_globals,
)
from .unpickle_tree import finalize

__all__ = [
    'LoadError',
    'UnsafePickleError',
    'FileFormatError',
    'LoadLimitError',
    'safe_load_pickle',
    'dump_pickle',
    'numpy_globals',
]

PathLike = Union[str, 'os.PathLike[str]']


def _latin1_encode(obj, encoding='utf-8', errors='strict'):
    """``_codecs.encode`` restricted to what protocol-2 pickles use for ``bytes``.

    Protocol 2 stores a ``bytes`` object as ``_codecs.encode(str, 'latin1')``; other codecs are
    not needed and not admitted.
    """
    if not isinstance(obj, str) or codecs.lookup(encoding).name != 'iso8859-1':
        raise current().unsafe(
            f'_codecs.encode is admitted only for str with the latin1 encoding, '
            f'got {type(obj).__name__} with encoding {encoding!r}'
        )
    return codecs.encode(obj, encoding, errors)


def numpy_globals() -> Dict[Tuple[str, str], Any]:
    """``(module, name) -> guarded callable`` for what pickles of numpy arrays, dtypes and scalars name,
    under both numpy 1.x (``numpy.core``) and 2.x (``numpy._core``) module names (see
    :mod:`pyskl.core.unpickle_guard`). Shared with the checkpoint loader (:mod:`pyskl.engine.checkpoint`)."""
    return guarded_numpy_globals()


def _allowed_globals() -> Dict[Tuple[str, str], Any]:
    """``(module, name) -> object`` for every global the safe unpickler admits."""
    allowed = numpy_globals()
    allowed.update(guarded_builtin_globals())
    allowed[('_codecs', 'encode')] = _latin1_encode
    return allowed


_ALLOWED = _allowed_globals()


class _SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals of :func:`_allowed_globals`."""

    def __init__(self, file, context: LoadContext):
        super().__init__(file)
        self._context = context

    def find_class(self, module: str, name: str) -> Any:
        obj = _ALLOWED.get((module, name))
        if obj is None:
            raise self._context.unsafe(
                f'the file names the global {module}.{name}: annotation and result pickles may hold only '
                'numeric/str numpy arrays and scalars and builtin containers (a pickle that names other '
                'globals could run code). Nothing from the file was run.'
            )
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise self._context.unsafe('the file uses a persistent id (not a plain data pickle)')


def _describe_start(path: str) -> str:
    """Why a file that fails to unpickle is not a pickle, from its first bytes."""
    with open(path, 'rb') as f:
        head = f.read(256)
    if not head:
        return 'empty file (0 bytes)'
    if head.startswith(b'PK\x03\x04'):
        return 'a zip archive (a PyTorch checkpoint?), not a pickle'
    if head[:1] != b'\x80':
        try:
            head.decode('utf-8')
            return 'a text file, not a pickle'
        except UnicodeDecodeError:
            pass
    return ''


def safe_load_pickle(path: PathLike) -> Any:
    """Load a pickle that may hold only numpy arrays/scalars and builtin containers.

    Numpy arrays and scalars must have a bool, integer, float, complex, str or bytes dtype; the file may
    allocate at most ``4 x its size + PYSKL_MAX_LOAD_BYTES`` bytes (default 1 GiB) and nest containers at most
    100 levels (:mod:`pyskl.core.unpickle_guard`).

    Args:
        path (str | os.PathLike): The pickle file, e.g. ``'data/nturgbd/ntu60_3danno.pkl'``.

    Returns:
        The unpickled object (for annotation files a ``dict`` with ``split`` and
        ``annotations`` or a ``list`` of annotation dicts).

    Raises:
        FileNotFoundError: if ``path`` does not exist (or is a directory).
        UnsafePickleError: if the file names any other global or an object / structured dtype (the message
            names the file and what was refused); nothing from the file has been called then.
        LoadLimitError: if the file would allocate too much or nests too deep.
        FileFormatError: if the file is empty, truncated, a text file or otherwise not a valid pickle.
        All are :class:`pickle.UnpicklingError` whose message begins with the path.
    """
    path = os.fspath(path)
    if osp.isdir(path):
        raise FileNotFoundError(f'{path!r} is a directory, not a pickle file')
    if not osp.isfile(path):
        raise FileNotFoundError(f'file not found: {path!r}')
    with LoadContext(path, osp.getsize(path)) as ctx, open(path, 'rb') as f:
        try:
            return finalize(_SafeUnpickler(f, ctx).load(), ctx)
        except LoadError as e:
            raise (ctx.error or e) from None
        except MemoryError:
            raise LoadLimitError(f'{path}: too large: the file declares more data than fits in memory') from None
        except RecursionError:
            raise LoadLimitError(f'{path}: too deep: nesting exceeds the recursion limit') from None
        except Exception as e:
            if ctx.error is not None:
                raise ctx.error from None
            why = _describe_start(path) or 'truncated or corrupt pickle'
            raise FileFormatError(f'{path}: not a readable pickle: {why} ({type(e).__name__}: {e})') from None


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
    if osp.isdir(path):
        raise IsADirectoryError(f'{path} is a directory: give a file name to write the pickle to')
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

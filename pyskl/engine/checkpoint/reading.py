"""Reading released and trained checkpoints without arbitrary unpickling.

Every file is read with ``torch.load(..., weights_only=True)``. The few non-tensor globals that released
files carry are allow-listed by exact name, and resolve to guarded stand-ins, never to the real classes:

- PYSKL (mmcv 1.x) files keep numpy scalars (e.g. ``hook_msgs.best_score``) in ``meta``: numpy names resolve
  to :func:`pyskl.core.io.numpy_globals` (numeric/str dtypes only, allocation charged to a budget);
- MMAction2 1.x (mmengine) files keep ``HistoryBuffer`` objects in ``message_hub``: the name resolves to
  :class:`_HistoryBufferState`, which keeps the three data fields of the state and ignores
  ``statistics_methods`` (mmengine's own ``__setstate__`` would write it into the class-wide registry).

Before unpickling, the file must be a zip-format torch checkpoint (torch >= 1.6) whose entries do not
declare more bytes than the archive holds. Every error is a :class:`pyskl.core.io.LoadError` whose
message begins with the path: :class:`UnsafePickleError` (a refused global or dtype; nothing from the file
ran), :class:`FileFormatError` (empty, truncated, text, not a checkpoint, no weights), :class:`LoadLimitError`
(too large, too deep).
"""

import os
import os.path as osp
import re
import zipfile
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import torch
from mmengine.dist import is_distributed

from pyskl.core.reprs import short_repr
from pyskl.core.unpickle_guard import (
    SIZE_FACTOR,
    FileFormatError,
    LoadContext,
    LoadError,
    LoadLimitError,
    UnsafePickleError,
    current,
    guarded_numpy_globals,
)
from pyskl.core.unpickle_tree import finalize

__all__ = [
    'KEY_MAPPINGS',
    'resolve_checkpoint_path',
    'safe_globals',
    'load_checkpoint_file',
    'get_state_dict',
    'convert_state_dict',
    'model_weights',
]

# name prefix in the file -> name in pyskl
KEY_MAPPINGS: List[Tuple[str, str]] = [
    ('module.', ''),  # saved from a DDP-wrapped model
    ('cls_head.fc.', 'cls_head.fc_cls.'),  # MMAction2 1.x names the classifier ``fc``
]

_STATISTICS = ('min', 'max', 'mean', 'current')


class _HistoryBufferState:
    """What ``mmengine.logging.history_buffer.HistoryBuffer`` resolves to while a checkpoint is read.

    Keeps ``_log_history``, ``_count_history`` and ``max_length`` of the pickled state (checked when the
    checkpoint is finalized) and drops ``statistics_methods``; never touches the class ``HistoryBuffer``.
    """

    __slots__ = ('state',)

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.state = None
        return self

    def __setstate__(self, state: Any) -> None:
        if self.state is not None or not isinstance(state, dict):
            raise current().unsafe(f'unexpected HistoryBuffer state {state!r:.200}')
        self.state = {k: state.get(k) for k in ('_log_history', '_count_history', 'max_length')}


def _history_buffer(proxy: _HistoryBufferState):
    """The real ``HistoryBuffer`` for a loaded :class:`_HistoryBufferState` (instance state only)."""
    import numpy as np
    from mmengine.logging import HistoryBuffer

    state = proxy.state or {}
    ctx = current()
    max_length = state.get('max_length')
    from pyskl.core.unpickle_guard import ArrayProxy

    logs, counts = (
        v.array if isinstance(v, ArrayProxy) else v for v in (state.get('_log_history'), state.get('_count_history'))
    )
    if (
        type(max_length) is not int
        or max_length <= 0
        or not all(isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype.kind in 'biuf' for a in (logs, counts))
    ):
        raise ctx.fail(
            FileFormatError(
                f'{ctx.path}: invalid HistoryBuffer state in message_hub (needs 1-D numeric '
                '_log_history / _count_history and a positive int max_length)'
            )
        )
    buf = HistoryBuffer(max_length=max_length)
    buf._log_history, buf._count_history = logs, counts
    return buf


def _history_buffer_getattr(obj, name):
    """``getattr`` as HistoryBuffer pickles need it (``getattr(HistoryBuffer, 'mean')`` for their statistics
    methods): returns the method's name, which :class:`_HistoryBufferState` ignores; refuses anything else."""
    if obj is _HistoryBufferState and name in _STATISTICS:
        return name
    raise current().unsafe(f'refused getattr({obj!r:.80}, {name!r:.80}) while loading a checkpoint')


def safe_globals() -> list:
    """The allow-list handed to :func:`torch.serialization.safe_globals`: ``(object, name)`` pairs. The proxy
    classes are listed (under their own names) so that torch's unpickler lets their ``__setstate__`` run."""
    from pyskl.core.unpickle_guard import ArrayProxy, DtypeProxy

    entries = [(obj, f'{module}.{name}') for (module, name), obj in guarded_numpy_globals().items()]
    entries += [
        (ArrayProxy, 'pyskl.core.unpickle_guard.ArrayProxy'),
        (DtypeProxy, 'pyskl.core.unpickle_guard.DtypeProxy'),
        (_HistoryBufferState, 'mmengine.logging.history_buffer.HistoryBuffer'),
        (_history_buffer_getattr, 'builtins.getattr'),
        (_history_buffer_getattr, '__builtin__.getattr'),
    ]
    return entries


#: A tensor may view at most this many bytes more than its storage holds (a stride-0 ``expand`` of a small one).
_MAX_EXPANDED_TENSOR_BYTES = 1 << 24


def _checked_tensor(path: str):
    """A :func:`finalize` converter refusing tensors a checkpoint never holds: sparse / other layouts, tensors on
    the meta device (no data), and views of many more elements than their storage has (``zeros(1)`` expanded to
    ``2**34`` elements is a few bytes in the file; the first copy allocates them all)."""

    def check(t: torch.Tensor) -> torch.Tensor:
        shape = tuple(t.shape)
        if t.layout != torch.strided:
            raise FileFormatError(
                f'{path}: holds a tensor of layout {t.layout} (shape {shape}); checkpoints hold dense ones'
            )
        if t.device.type == 'meta':
            raise FileFormatError(f'{path}: holds a tensor without data (device meta, shape {shape})')
        viewed = t.numel() * t.element_size()
        if viewed > t.untyped_storage().nbytes() + _MAX_EXPANDED_TENSOR_BYTES:
            raise LoadLimitError(
                f'{path}: holds a tensor of shape {shape} (strides {tuple(t.stride())}) viewing {viewed} bytes of a '
                f'{t.untyped_storage().nbytes()}-byte storage: an expanded / overlapping view, which a saved '
                'checkpoint does not have and whose first copy would allocate all of it'
            )
        return t

    return check


def _check_container(path: str, size: int) -> None:
    """Refuse what is not a zip-format torch checkpoint, before unpickling anything."""
    if size == 0:
        raise FileFormatError(f'{path}: empty file (0 bytes), not a checkpoint')
    with open(path, 'rb') as f:
        head = f.read(512)
    if not zipfile.is_zipfile(path):
        if head.startswith(b'PK'):
            why = 'a truncated or corrupt zip archive'
        elif head[:1] == b'\x80':
            why = (
                'a pickle (a legacy torch < 1.6 checkpoint or an annotation/result file); pyskl reads only '
                'zip-format checkpoints: re-save trusted legacy files with torch.save in a recent torch'
            )
        else:
            try:
                head.decode('utf-8')
                why = 'a text file'
            except UnicodeDecodeError:
                why = 'not a zip archive'
        raise FileFormatError(f'{path}: not a PyTorch checkpoint: {why}')
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except Exception as e:  # BadZipFile, OSError, ValueError, NotImplementedError ('zip file version 8.6'), ...
        raise FileFormatError(
            f'{path}: not a PyTorch checkpoint: corrupt zip archive ({type(e).__name__}: {short_repr(str(e))})'
        ) from None
    data_pkl = [i for i in infos if i.filename == 'data.pkl' or i.filename.endswith('/data.pkl')]
    if not data_pkl:
        raise FileFormatError(f'{path}: not a PyTorch checkpoint: the zip archive has no data.pkl')
    declared = sum(i.file_size for i in infos)
    if declared > SIZE_FACTOR * size or any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise LoadLimitError(
            f'{path}: too large: the archive declares {declared} bytes of (possibly compressed) '
            f'entries in a {size}-byte file; torch checkpoints store their entries uncompressed'
        )
    _scan_pickle(path, _verified_entries(path, infos, data_pkl[0]))


def _verified_entries(path: str, infos: list, wanted) -> bytes:
    """Check every (stored, uncompressed) entry of the archive against its local header and its CRC-32, reading the
    file once in chunks; returns the bytes of the entry ``wanted``. A byte changed by a damaged copy or download
    would otherwise load as a different weight without a word (torch does not check the CRCs). An entry whose CRC
    is 0 is not checked (a writer that stores none, e.g. torch's ``compute_crc32=False``).

    Raises:
        FileFormatError: naming the file and the damaged entry.
    """
    import struct
    import zlib

    wanted_bytes = b''
    with open(path, 'rb') as f:
        for info in infos:
            f.seek(info.header_offset)
            header = f.read(30)
            if len(header) < 30 or header[:4] != b'PK\x03\x04':
                raise FileFormatError(
                    f'{path}: corrupt checkpoint (damaged): the zip entry {short_repr(info.filename)} has no valid '
                    'local header; re-copy or re-download the file'
                )
            name_len, extra_len = struct.unpack('<HH', header[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            crc, left, parts = 0, info.file_size, []
            while left > 0:
                chunk = f.read(min(left, 1 << 20))
                if not chunk:
                    raise FileFormatError(
                        f'{path}: corrupt checkpoint (truncated): the zip entry {short_repr(info.filename)} ends '
                        'before its declared size'
                    )
                left -= len(chunk)
                crc = zlib.crc32(chunk, crc)
                if info is wanted:
                    parts.append(chunk)
            if info.CRC and crc != info.CRC:
                raise FileFormatError(
                    f'{path}: corrupt checkpoint (damaged): the zip entry {short_repr(info.filename)} fails its '
                    'CRC-32 check; re-copy or re-download the file'
                )
            if info is wanted:
                wanted_bytes = b''.join(parts)
    return wanted_bytes


def _scan_pickle(path: str, data: bytes) -> None:
    """Walk the opcodes of ``data.pkl`` without running them: refuse ``bytearray`` (torch's unpickler admits the
    real one, and ``bytearray(2**31)`` would allocate 2 GiB from a few bytes) and corrupt streams."""
    import pickletools

    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name == 'GLOBAL' and arg in ('builtins bytearray', '__builtin__ bytearray'):
                raise UnsafePickleError(
                    f'{path}: refusing to load: the checkpoint calls bytearray, which a '
                    'checkpoint never needs (and which can allocate unbounded memory)'
                )
    except (ValueError, EOFError, UnicodeDecodeError) as e:
        raise FileFormatError(f'{path}: not a readable checkpoint: corrupt or truncated data.pkl ({e})') from None


def _refusal(path: str, error: Exception) -> LoadError:
    """A pyskl error for torch's ``UnpicklingError`` (its message explains ``add_safe_globals``, which is not
    what a user of pyskl should do)."""
    text = str(error)
    found = re.search(r'GLOBAL (\S+)', text)
    if found:
        return UnsafePickleError(
            f'{path}: refusing to load: the checkpoint names the global {found.group(1)}, which is not on '
            "pyskl's allow-list (tensors, numeric numpy data, builtin containers); nothing from the file was run. "
            'If you trust the file, convert it with plain torch.load in a trusted environment.'
        )
    if 'Unsupported operand' in text or 'persistent_load' in text:
        return FileFormatError(f'{path}: not a readable checkpoint: corrupt pickle ({text.splitlines()[0]})')
    return UnsafePickleError(f'{path}: refusing to load: {text.strip().splitlines()[-1][:300]}')


def load_checkpoint_file(path: str, map_location='cpu') -> dict:
    """``torch.load(path, weights_only=True)`` with the allow-list above; the checkpoint as a dict.

    Raises:
        FileNotFoundError: ``path`` does not exist or is a directory.
        UnsafePickleError / FileFormatError / LoadLimitError: see the module docstring; messages begin with
            the path.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}' + (' (a directory)' if os.path.isdir(path) else ''))
    size = os.path.getsize(path)
    _check_container(path, size)
    with LoadContext(path, size) as ctx:
        try:
            with torch.serialization.safe_globals(safe_globals()):
                checkpoint = torch.load(path, map_location=map_location, weights_only=True)
            tensor = _checked_tensor(path)
            checkpoint = finalize(
                checkpoint,
                ctx,
                {_HistoryBufferState: _history_buffer, torch.Tensor: tensor, torch.nn.Parameter: tensor},
            )
        except LoadError as e:
            raise (ctx.error or e) from None
        except MemoryError:
            raise ctx.error or LoadLimitError(
                f'{path}: too large: the checkpoint declares more data than fits in memory'
            ) from None
        except RecursionError:
            raise LoadLimitError(f'{path}: too deep: nesting exceeds the recursion limit') from None
        except Exception as e:  # torch: UnpicklingError, RuntimeError, EOFError, KeyError, ...
            if ctx.error is not None:
                raise ctx.error from None
            import pickle

            if isinstance(e, pickle.UnpicklingError):
                raise _refusal(path, e) from None
            if isinstance(e, RuntimeError) and 'allocate' in str(e):
                raise LoadLimitError(f'{path}: too large: {str(e).splitlines()[0]}') from None
            raise FileFormatError(
                f'{path}: not a readable checkpoint (truncated or corrupt): '
                f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
            ) from None
    if not isinstance(checkpoint, dict):
        raise FileFormatError(f'{path}: not a checkpoint: it holds a {type(checkpoint).__name__}, not a dict')
    return checkpoint


def get_state_dict(checkpoint: dict, path: str = '<checkpoint>') -> 'OrderedDict[str, torch.Tensor]':
    """The model weights of a loaded checkpoint (``state_dict`` / ``model`` entry, or the dict itself)."""
    if not isinstance(checkpoint, dict):
        raise FileFormatError(f'{path}: expected a dict checkpoint, got {type(checkpoint).__name__}')
    for key in ('state_dict', 'model'):
        if key in checkpoint and isinstance(checkpoint[key], dict):
            checkpoint = checkpoint[key]
            odd = next(((k, v) for k, v in checkpoint.items() if not isinstance(v, torch.Tensor)), None)
            if odd is not None:  # was dropped, then reported as a missing weight
                raise FileFormatError(
                    f'{path}: {key}[{short_repr(odd[0])}] is a {type(odd[1]).__name__}, not a tensor; a state dict '
                    'holds tensors only'
                )
            break
    tensors = OrderedDict((k, v) for k, v in checkpoint.items() if isinstance(v, torch.Tensor))
    if not tensors:
        raise FileFormatError(f'{path}: no state dict: no tensors found (keys: {sorted(map(str, checkpoint))[:10]})')
    return tensors


def convert_state_dict(
    state_dict: Dict[str, torch.Tensor], mappings: Optional[List[Tuple[str, str]]] = None
) -> 'OrderedDict[str, torch.Tensor]':
    """Rename keys of released PYSKL / MMAction2 weights to pyskl's names (see :data:`KEY_MAPPINGS`)."""
    mappings = KEY_MAPPINGS if mappings is None else mappings
    out = OrderedDict()
    for key, value in state_dict.items():
        for old, new in mappings:
            if key.startswith(old):
                key = new + key[len(old) :]
        out[key] = value
    return out


def model_weights(
    checkpoint: dict, path: str = '<checkpoint>', revise_keys: Optional[List[Tuple[str, str]]] = None
) -> 'OrderedDict[str, torch.Tensor]':
    """The weights of a loaded checkpoint under pyskl's key names: :func:`get_state_dict`, the built-in
    :data:`KEY_MAPPINGS`, then the ``(regex, replacement)`` pairs of ``revise_keys``."""
    state_dict = convert_state_dict(get_state_dict(checkpoint, path))
    for pattern, repl in revise_keys or []:
        state_dict = OrderedDict((re.sub(pattern, repl, k), v) for k, v in state_dict.items())
    return state_dict


def resolve_checkpoint_path(filename: str) -> str:
    """Local path of ``filename``; ``http(s)://`` files are downloaded once into torch's
    hub cache (``<torch.hub.get_dir()>/checkpoints``) by local rank 0."""
    if not re.match(r'^https?://', filename):
        return osp.expanduser(filename)
    cache = osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(cache, osp.basename(filename.split('?')[0]))
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    if local_rank == 0 and not osp.isfile(path):
        os.makedirs(cache, exist_ok=True)
        torch.hub.download_url_to_file(filename, path)
    if is_distributed():
        torch.distributed.barrier()
    return path

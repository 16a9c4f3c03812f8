"""Crash-safe file replacement (torch-free).

A file is never written under its final name: it is written to a temporary name in the same
directory (:func:`temp_path`), flushed and fsynced, then renamed over the final name with
:func:`os.replace` (atomic on POSIX and on Windows for a file in the same directory), and the
directory is fsynced so that the rename itself survives a power cut. A process killed at any
instant therefore leaves either the complete old file or the complete new one under the final
name, plus at most one temporary file, which :func:`remove_stale_temp_files` cleans up later.

Temporary names are ``.<final name>.<pid>.<random>.tmp``: hidden, never ending in ``.pth``, so
nothing that looks for checkpoints picks them up.
"""

import os
import os.path as osp
import re
import shutil
import uuid
from typing import Callable, List, Optional, Sequence, Tuple

TEMP_RE = re.compile(r'^\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$')

__all__ = [
    'temp_path',
    'fsync_file',
    'fsync_dir',
    'commit_temp',
    'write_atomic',
    'write_text_atomic',
    'link_or_copy_atomic',
    'remove_stale_temp_files',
    'TEMP_RE',
    'check_output_path',
    'check_regular_file',
    'check_writable_folder',
]


def temp_path(path: str) -> str:
    """A fresh temporary name beside ``path`` (``.<basename>.<pid>.<8 hex>.tmp``)."""
    directory, name = osp.split(osp.abspath(path))
    return osp.join(directory, f'.{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp')


def fsync_file(path: str) -> None:
    """Flush ``path``'s data to the storage device (fsync through a new descriptor: on Linux
    and macOS fsync acts on the file, whichever descriptor wrote it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: str) -> None:
    """Make the directory entries of ``directory`` (creations, renames, removals) durable.
    A no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def commit_temp(tmp: str, path: str) -> None:
    """fsync the complete temporary file ``tmp``, rename it to ``path`` (replacing any old
    file atomically) and fsync the directory."""
    fsync_file(tmp)
    os.replace(tmp, path)
    fsync_dir(osp.dirname(osp.abspath(path)))


def write_atomic(path: str, write: Callable[[str], None]) -> None:
    """Write ``path`` crash-safely: ``write(tmp)`` must create and fill the temporary file
    ``tmp``; it is then committed with :func:`commit_temp`. On any error the temporary file is
    removed, the old ``path`` is untouched, and the error propagates."""
    tmp = temp_path(path)
    try:
        write(tmp)
        commit_temp(tmp, path)
    except BaseException:
        if osp.lexists(tmp):
            os.remove(tmp)
        raise


def _write_text(text: str) -> Callable[[str], None]:
    def write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            f.write(text)

    return write


def write_text_atomic(path: str, text: str) -> None:
    """:func:`write_atomic` for a small text file."""
    write_atomic(path, _write_text(text))


def link_or_copy_atomic(src: str, path: str) -> str:
    """Make ``path`` a hard link to ``src`` (a copy where the file system has no hard links),
    replacing an existing ``path`` atomically. Returns ``'hardlink'`` or ``'copy'``."""
    tmp = temp_path(path)
    try:
        try:
            os.link(src, tmp)
            how = 'hardlink'
        except OSError:
            shutil.copyfile(src, tmp)
            how = 'copy'
        commit_temp(tmp, path)
    except BaseException:
        if osp.lexists(tmp):
            os.remove(tmp)
        raise
    return how


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours: a temp file we still hold would not be on disk between saves
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_temp_files(directory: str) -> List[str]:
    """Remove the temporary files (:func:`temp_path` names) in ``directory`` whose writing
    process no longer runs (left by a kill or a crash); returns their paths."""
    removed = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return removed
    for name in names:
        m = TEMP_RE.match(name)
        if m is None or _pid_alive(int(m.group('pid'))):
            continue
        path = osp.join(directory, name)
        try:
            os.remove(path)
            removed.append(path)
        except FileNotFoundError:
            pass
    if removed:
        fsync_dir(directory)
    return removed


def check_output_path(path: str, option: str, inputs: Sequence[Tuple[str, Optional[str]]] = ()) -> str:
    """``path`` checked as an output file before a command does any work: not an existing directory, and not one of
    the command's ``inputs`` (``(what, path)`` pairs, e.g. ``('the input file', 'clip.json')``; None entries are
    skipped), which writing it would destroy. Returns ``path``.

    Raises:
        ValueError: naming ``option`` (``'--out'``), the path and the input it would overwrite.
    """
    if osp.isdir(path):
        raise ValueError(f'{option} {path}: is a directory; give a file name')
    real = osp.realpath(path)
    for what, other in inputs:
        if other is None:
            continue
        other = os.fspath(other)
        same = osp.realpath(other) == real or (
            osp.exists(path) and osp.exists(other) and not osp.isdir(other) and osp.samefile(path, other)
        )
        if same:
            raise ValueError(f'{option} {path} is {what}; writing it would overwrite {other}')
    return path


def check_writable_folder(path: str, option: str) -> str:
    """The folder an output file ``path`` goes to, after checking (before any work) that it exists and that a file
    can be created in it (a probe file, removed at once: permission bits do not tell for root, read-only mounts or
    pseudo file systems such as ``/proc``). Raises FileNotFoundError / PermissionError naming ``option``."""
    import tempfile

    folder = osp.dirname(osp.abspath(path))
    if not osp.isdir(folder):  # found before the run, not after it (the message named a temporary file)
        raise FileNotFoundError(f'{option} {path}: the folder {folder} does not exist')
    try:
        fd, probe = tempfile.mkstemp(prefix='.pyskl-probe-', dir=folder)
    except OSError as e:
        raise PermissionError(f'{option} {path}: cannot create a file in {folder} ({e.strerror or e})') from None
    os.close(fd)
    os.unlink(probe)
    return folder


def check_regular_file(path: str, what: str = 'file', max_bytes: Optional[int] = None) -> int:
    """``path``'s size, after checking that it is a regular file (not a FIFO, which blocks a read forever, nor a device
    such as ``/dev/zero``, which never ends) of at most ``max_bytes``. Raises FileNotFoundError / ValueError naming it.
    """
    import stat

    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} not found: {path}') from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f'{path}: is a directory, not a {what}')
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f'{path}: not a regular file (a pipe, socket or device); a {what} is read from a file')
    if max_bytes is not None and info.st_size > max_bytes:
        raise ValueError(f'{path}: {info.st_size} bytes, more than a {what} has (at most {max_bytes})')
    return info.st_size

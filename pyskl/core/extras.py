"""Optional dependencies (pyskl's extras: ``pose``, ``video``, ``export``, ``tests``): importing one that is not
installed raises :class:`MissingExtraError`, whose message says how to install it. The command line prints it as
one ``error:`` line (it is a user's set-up, not a bug)."""

import importlib
from types import ModuleType

__all__ = ['MissingExtraError', 'require']


class MissingExtraError(ImportError):
    """An optional dependency of pyskl is not installed."""


def require(module: str, extra: str, hint: str = '') -> ModuleType:
    """Import ``module`` (e.g. ``'mediapipe'``), or raise :class:`MissingExtraError` naming the pyskl ``extra`` that
    installs it (and ``hint``, e.g. a separate environment's set-up)."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        how = f"install the {extra!r} extra (pip install -e '.[{extra}]'{', ' + hint if hint else ''})"
        raise MissingExtraError(f'{module} is not installed: {how} ({e})') from e

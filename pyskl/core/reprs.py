"""A bounded ``repr`` for messages that show a value read from a file.

A value from a hostile or broken file can be a huge string, an int of a million digits, or a structure that
shares its parts so that its printed form would be astronomically long (``x = [x, x]`` sixty times: a small
pickle, 2**60 leaves). :func:`short_repr` prints at most a few levels and items of it, and never fails.
"""

import reprlib
from typing import Any

__all__ = ['short_repr']


class _ShortRepr(reprlib.Repr):
    def __init__(self):
        super().__init__()
        self.maxlevel = 3
        self.maxtuple = self.maxlist = self.maxarray = self.maxset = self.maxfrozenset = self.maxdeque = 6
        self.maxdict = 4
        self.maxstring = 80
        self.maxlong = 40
        self.maxother = 80

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # str() of a huge int is slow or refused (sys.int_info.str_digits_check_threshold)
            return f'<int of {x.bit_length()} bits>'
        return super().repr_int(x, level)

    def repr_bytes(self, x: bytes, level: int) -> str:
        text = repr(x[: self.maxstring])
        return text if len(x) <= self.maxstring else f'{text}... ({len(x)} bytes)'

    def repr_str(self, x: str, level: int) -> str:
        text = repr(x[: self.maxstring])
        return text if len(x) <= self.maxstring else f'{text[:-1]}...{text[-1]} ({len(x)} characters)'


_SHORT = _ShortRepr()


def short_repr(value: Any) -> str:
    """``repr(value)`` cut to a few levels, items and characters (strings keep their quotes and escapes, so control
    characters show as ``\\n``, ``\\x1b``); ``<type>`` if even that fails."""
    try:
        return _SHORT.repr(value)
    except Exception:  # a value whose own __repr__ fails
        return f'<{type(value).__name__}>'

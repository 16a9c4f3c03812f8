_base_ = ['./j.py']
feats = ['jm']  # joint motion

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

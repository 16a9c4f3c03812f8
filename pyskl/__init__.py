"""pyskl: skeleton-based action recognition on mmengine.

Importing the package is cheap: sub-packages (``pyskl.models``, ``pyskl.datasets``,
...) are imported on demand, e.g. by :func:`pyskl.registry.register_all_modules` or by
the registries' lazy ``locations``.
"""

from .version import __version__

__all__ = ['__version__']

"""Models: backbones, heads, recognizers; importing this package registers them in ``pyskl.registry.MODELS``."""

from . import backbones, heads, losses, recognizers  # noqa: F401
from .data_preprocessor import SkeletonDataPreprocessor
from .utils.graph import Graph

__all__ = ['Graph', 'SkeletonDataPreprocessor']

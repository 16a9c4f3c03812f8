"""Evaluation: accuracy functions and the metrics registered in ``pyskl.registry.METRICS``."""

from .functional import label_ranks, mean_class_accuracy, top_k_accuracy
from .metrics import AccMetric, DumpResults

__all__ = ['AccMetric', 'DumpResults', 'top_k_accuracy', 'mean_class_accuracy', 'label_ranks']

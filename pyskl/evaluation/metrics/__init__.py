from .acc_metric import AccMetric
from .dump_results import DumpResults

__all__ = ['AccMetric', 'DumpResults']

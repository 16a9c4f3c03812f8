from .gcn_head import GCNHead
from .simple_head import SimpleHead

__all__ = ['GCNHead', 'SimpleHead']

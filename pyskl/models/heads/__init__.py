from .gcn_head import GCNHead

__all__ = ['GCNHead']

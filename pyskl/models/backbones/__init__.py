from .aagcn import AAGCN
from .dgstgcn import DGSTGCN
from .stgcn import STGCN

__all__ = ['STGCN', 'AAGCN', 'DGSTGCN']

from .aagcn import AAGCN
from .dgstgcn import DGSTGCN
from .msg3d import MSG3D
from .stgcn import STGCN

__all__ = ['STGCN', 'AAGCN', 'DGSTGCN', 'MSG3D']

from .aagcn import AAGCN
from .ctrgcn import CTRGCN
from .dgstgcn import DGSTGCN
from .msg3d import MSG3D
from .protogcn import ProtoGCN
from .stgcn import STGCN

__all__ = ['STGCN', 'AAGCN', 'CTRGCN', 'DGSTGCN', 'MSG3D', 'ProtoGCN']

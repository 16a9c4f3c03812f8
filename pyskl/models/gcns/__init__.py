"""Building blocks shared by the GCN backbones: the graph / temporal units and the :class:`STGCNBlock`
that combines them.

Every block maps ``(N, C, T, V)`` features to ``(N, C', T', V)``.
"""

from .aagcn import unit_aagcn
from .block import GCN_UNITS, TCN_UNITS, STGCNBlock
from .ctrgcn import unit_ctrgcn
from .dgstgcn import dggcn, dgmstcn
from .gcn import unit_gcn
from .msg3d import msg3d_block, msg3d_unit, msgcn, multiscale_adjacency
from .tcn import mstcn, unit_tcn
from .utils import build_act, build_norm, kaiming_bn_init_

__all__ = [
    'STGCNBlock',
    'GCN_UNITS',
    'TCN_UNITS',
    'unit_gcn',
    'unit_aagcn',
    'unit_ctrgcn',
    'kaiming_bn_init_',
    'unit_tcn',
    'mstcn',
    'build_norm',
    'build_act',
    'dggcn',
    'dgmstcn',
    'msgcn',
    'msg3d_unit',
    'msg3d_block',
    'multiscale_adjacency',
]

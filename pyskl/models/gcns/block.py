"""The ST-GCN block: one graph unit, one temporal unit, a residual and a ReLU.

Shared by the ST-GCN / ST-GCN++, AAGCN, CTR-GCN and DG-STGCN (ProtoGCN) backbones, which differ only in the
units they put in it (``gcn_cfg`` / ``tcn_cfg``).
"""

from typing import Optional, Tuple

import torch
import torch.nn as nn

from .aagcn import unit_aagcn
from .ctrgcn import unit_ctrgcn
from .dgstgcn import dggcn, dgmstcn
from .gcn import unit_gcn
from .tcn import mstcn, unit_tcn

# spatial units a block can use (``gcn_cfg['type']``): unit_gcn (ST-GCN / ST-GCN++), unit_aagcn (AAGCN),
# dggcn (DG-STGCN), unit_ctrgcn (CTR-GCN)
GCN_UNITS = {'unit_gcn': unit_gcn, 'unit_aagcn': unit_aagcn, 'dggcn': dggcn, 'unit_ctrgcn': unit_ctrgcn}
TCN_UNITS = {'unit_tcn': unit_tcn, 'mstcn': mstcn, 'dgmstcn': dgmstcn}


class STGCNBlock(nn.Module):
    """Graph unit -> temporal unit (+ residual) -> ReLU: ``(N, C_in, T, V) -> (N, C_out, T / stride, V)``.

    A graph unit that returns ``(features, graph)`` (``dggcn(return_graph=True)``) makes the block return
    ``(output, graph)``.

    The block of ST-GCN, ST-GCN++, AAGCN (``unit_aagcn``), DG-STGCN (``dggcn`` + ``dgmstcn``) and CTR-GCN
    (``unit_ctrgcn`` + a 4-branch ``mstcn``, units named ``gcn1`` / ``tcn1``).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        A (torch.Tensor): Adjacency ``(K, V, V)``.
        stride (int): Temporal stride.
        residual (bool): Block-level residual: identity when shapes match, else a strided 1x1 ``unit_tcn``.
        gcn_cfg (dict): ``type`` (a key of :data:`GCN_UNITS`; default ``'unit_gcn'``) and the keyword
            arguments of that unit (``adaptive``, ``conv_pos``, ``with_res``, ...).
        tcn_cfg (dict): ``type`` (a key of :data:`TCN_UNITS`; default ``'unit_tcn'``, kernel 9) and its
            keyword arguments.
        unit_names (tuple[str, str]): Attribute (state-dict) names of the graph and temporal units:
            ``('gcn', 'tcn')`` (default) or ``('gcn1', 'tcn1')`` as in PYSKL's CTR-GCN.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        A: torch.Tensor,
        stride: int = 1,
        residual: bool = True,
        gcn_cfg: Optional[dict] = None,
        tcn_cfg: Optional[dict] = None,
        unit_names: Tuple[str, str] = ('gcn', 'tcn'),
    ):
        super().__init__()
        gcn_cfg = dict(gcn_cfg or {})
        tcn_cfg = dict(tcn_cfg or {})
        gcn_type = gcn_cfg.pop('type', 'unit_gcn')
        if gcn_type not in GCN_UNITS:
            raise ValueError(f'gcn type must be one of {sorted(GCN_UNITS)}, got {gcn_type!r}')
        tcn_type = tcn_cfg.pop('type', 'unit_tcn')
        self.unit_names = tuple(unit_names)
        setattr(self, self.unit_names[0], GCN_UNITS[gcn_type](in_channels, out_channels, A, **gcn_cfg))
        if tcn_type not in TCN_UNITS:
            raise ValueError(f'tcn_type must be one of {sorted(TCN_UNITS)}, got {tcn_type!r}')
        if tcn_type == 'unit_tcn':
            tcn_cfg.setdefault('kernel_size', 9)
        setattr(self, self.unit_names[1], TCN_UNITS[tcn_type](out_channels, out_channels, stride=stride, **tcn_cfg))
        self.relu = nn.ReLU()
        self.residual_mode = (
            'none' if not residual else ('identity' if in_channels == out_channels and stride == 1 else 'conv')
        )
        if self.residual_mode == 'conv':
            self.residual = unit_tcn(in_channels, out_channels, kernel_size=1, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gcn, tcn = (getattr(self, name) for name in self.unit_names)
        y = gcn(x)
        graph = None
        if isinstance(y, tuple):  # a graph unit built with return_graph=True (ProtoGCN)
            y, graph = y
        if self.residual_mode == 'none':
            y = self.relu(tcn(y))
        else:
            # relu(tcn(y) + res): a temporal unit that can fuses the add and the ReLU into its last conv
            res = x if self.residual_mode == 'identity' else self.residual(x)
            y = tcn.forward_add_relu(y, res) if hasattr(tcn, 'forward_add_relu') else self.relu(tcn(y) + res)
        return y if graph is None else (y, graph)

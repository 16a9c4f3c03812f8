"""ProtoGCN (Liu et al., CVPR 2025): DG-STGCN with a prototype-reconstructed graph branch."""

from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from pyskl.registry import MODELS
from .dgstgcn import DGSTGCN
from .persons import forward_instances
from .utils import check_backbone_args


class PrototypeReconstruction(nn.Module):
    """Reconstruct each joint-pair relation from ``num_prototype`` learned prototypes.

    ``(N, P, C) -> (N, P, C)``: ``dropout(softmax(query_matrix(z), -1) @ memory_matrix)`` (both without bias).
    State-dict keys as the original: ``query_matrix.weight`` ``(num_prototype, C)``, ``memory_matrix.weight``
    ``(C, num_prototype)``.
    """

    def __init__(self, channels: int, num_prototype: int, dropout: float = 0.1):
        super().__init__()
        self.query_matrix = nn.Linear(channels, num_prototype, bias=False)
        self.memory_matrix = nn.Linear(num_prototype, channels, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.memory_matrix(self.query_matrix(z).softmax(dim=-1)))


@MODELS.register_module()
class ProtoGCN(DGSTGCN):
    """ProtoGCN: :class:`DGSTGCN` blocks (``dggcn`` with ``K`` groups of ``C_out / K`` channels, ``ctr`` and
    ``ada`` pooled over time after the convs, ``dgmstcn`` with 25 fusion coefficients) plus a graph branch.

    The last block also returns its dynamic affinity ``(N * M, C_out, V, V)``; averaged over persons, each
    sample's ``V * V`` relations ``(V * V, C_out)`` are reconstructed from the prototypes
    (:class:`PrototypeReconstruction`), then ``post`` (1x1 conv) -> ``bn`` -> ReLU -> mean over channels.

    Input ``(N, M, T, V, C)``; output ``(feat (N, M, C_out, T_out, V), graph (N, V * V))``. The logits use
    only ``feat``; ``graph`` feeds the head's class-specific contrastive loss (:class:`SimpleHead`).
    State-dict keys as the original's (its released checkpoints load without conversion).

    Args:
        graph_cfg (dict): :class:`Graph` arguments; the released models use
            ``dict(layout=..., mode='random', num_filter=8, init_off=.04, init_std=.02)``.
        in_channels (int): C of the input.
        base_channels (int): Channels of the first stage. Defaults to 96 (C_out = 384).
        num_prototype (int): Number of prototypes. Defaults to 100.
        prototype_dropout (float): Dropout of the reconstruction. Defaults to 0.1.
        tcn_num_joints (int): Length of the temporal units' fusion coefficients. Defaults to 25 (the
            original's, for every layout).
        **kwargs: Other :class:`DGSTGCN` arguments (``num_stages``, ``tcn_ms_cfg``, ``gcn_*``,
            ``channels_last`` (True, as DG-STGCN's), ...).
    """

    def __init__(
        self,
        graph_cfg: dict,
        in_channels: int = 3,
        base_channels: int = 96,
        num_prototype: int = 100,
        prototype_dropout: float = 0.1,
        num_stages: int = 10,
        inflate_stages: Sequence[int] = (5, 8),
        down_stages: Sequence[int] = (5, 8),
        tcn_num_joints: Optional[int] = 25,
        **kwargs,
    ):
        kwargs.setdefault('gcn_ratio', None)
        kwargs.setdefault('gcn_pool_first', False)
        check_backbone_args(type(self).__name__, num_stages=num_stages)  # before it sizes return_graph
        return_graph = (False,) * (num_stages - 1) + (True,)
        super().__init__(
            graph_cfg,
            in_channels=in_channels,
            base_channels=base_channels,
            num_stages=num_stages,
            inflate_stages=inflate_stages,
            down_stages=down_stages,
            tcn_num_joints=tcn_num_joints,
            gcn_return_graph=return_graph,
            **kwargs,
        )
        channels = self.out_channels
        self.num_prototype = num_prototype
        self.post = nn.Conv2d(channels, channels, 1)
        self.bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()
        self.prn = PrototypeReconstruction(channels, num_prototype, prototype_dropout)

    def forward_blocks(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The blocks on ``data_bn``'s output: features ``(B, C_out, T_out, V)`` and the last block's affinity
        ``(B, C_out, V, V)``."""
        for block in self.gcn[:-1]:
            x = block(x)
        return self.gcn[-1](x)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(N, M, T, V, C)`` -> ``(N, M, C_out, T_out, V)`` features and the ``(N, V * V)`` graph."""
        N, M = x.shape[:2]
        x, graph = forward_instances(self, x, self.forward_blocks, self.gcn)  # padding persons once per slot
        C, V = graph.shape[1], graph.shape[-1]
        graph = graph.view(N, M, C, V, V).mean(dim=1)  # (N, C, V, V)
        rec = self.prn(graph.flatten(2).transpose(1, 2))  # (N, V * V, C)
        rec = rec.transpose(1, 2).reshape(N, C, V, V)
        graph = self.relu(self.bn(self.post(rec))).mean(dim=1)  # (N, V, V)
        return x.reshape((N, M) + x.shape[1:]), graph.flatten(1)

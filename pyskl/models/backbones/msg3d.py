"""MS-G3D (Liu et al., CVPR 2020), PYSKL's variant."""

from typing import Optional, Sequence

import torch
import torch.nn as nn

from pyskl.registry import MODELS
from ..gcns import msg3d_block, msgcn, mstcn, multiscale_adjacency
from ..utils.graph import Graph
from .persons import forward_instances
from .utils import build_data_bn, check_backbone_args


@MODELS.register_module()
class MSG3D(nn.Module):
    """MS-G3D: three stages, each ``relu(sgcn(x) + gcn3d(x))`` followed by a multi-scale temporal conv.

    Input ``(N, M, T, V, C)``, output ``(N, M, 4 * base_channels, ceil(ceil(T / 2) / 2), V)``.

    Stage ``i`` (channels ``c_i`` = 1, 2, 4 x ``base_channels``, temporal stride 1, 2, 2):

    - ``sgcn{i}``: :class:`msgcn` (``num_gcn_scales`` disentangled scales, keeps ``c_{i-1}`` channels,
      ``c_1`` at the first stage) -> :class:`mstcn` (to ``c_i``, strided) -> :class:`mstcn` (no activation);
    - ``gcn3d{i}``: :class:`msg3d_block` (G3D over windows ``window_sizes``, ``num_g3d_scales`` scales);
    - ``tcn{i}``: :class:`mstcn`.

    The temporal units are MS-G3D's: branch BNs, remainder channels on the last branch, no fusion conv,
    residual inside and a final ReLU.

    Args:
        graph_cfg (dict): :class:`Graph` arguments; ``mode`` must be ``'binary_adj'`` (the multi-scale
            adjacencies are derived from the binary graph).
        in_channels (int): C of the input (3 for 3D joints or 2D joints + score; x len(feats)).
        base_channels (int): Channels of the first stage. Defaults to 96.
        num_gcn_scales (int): Scales of the spatial multi-scale GCN. Defaults to 13.
        num_g3d_scales (int): Scales of the G3D window graphs. Defaults to 6.
        num_person (int): M, for the ``M * V * C`` data BatchNorm.
        tcn_dropout (float): Dropout at the end of ``tcn{i}``.
        window_sizes (sequence[int]): G3D temporal windows. Defaults to ``(3, 5)``.
        data_bn_type (str): ``'MVC'`` (default), ``'VC'`` or ``'none'``.
        pretrained (str | None): Accepted for config compatibility; load weights with
            :func:`pyskl.engine.checkpoint.load_checkpoint` instead.
        share_empty_persons (bool): Compute the all-zero padding persons of a batch once per person slot, in
            training and inference, with the full batch's values (see :func:`~.persons.forward_instances`).
            False computes every person. Defaults to True.
    """

    def __init__(
        self,
        graph_cfg: dict,
        in_channels: int = 3,
        base_channels: int = 96,
        num_gcn_scales: int = 13,
        num_g3d_scales: int = 6,
        num_person: int = 2,
        tcn_dropout: float = 0.0,
        window_sizes: Sequence[int] = (3, 5),
        data_bn_type: str = 'MVC',
        pretrained: Optional[str] = None,
        share_empty_persons: bool = True,
    ):
        super().__init__()
        check_backbone_args(type(self).__name__, in_channels=in_channels, base_channels=base_channels)
        self.graph = Graph(**graph_cfg)
        if self.graph.mode != 'binary_adj':
            raise ValueError(f"MSG3D needs graph_cfg mode='binary_adj', got {self.graph.mode!r}")
        A = self.graph.A[0]
        self.register_buffer('A', torch.tensor(A, dtype=torch.float32))
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.pretrained = pretrained
        self.share_empty_persons = share_empty_persons
        self.data_bn = build_data_bn(data_bn_type, num_person, len(A), in_channels)
        A_powers = torch.tensor(multiscale_adjacency(A, num_gcn_scales), dtype=torch.float32)

        def tcn(c_in, c_out, stride=1, act='ReLU', dropout=0.0):
            return mstcn(
                c_in,
                c_out,
                stride=stride,
                fuse=False,
                branch_norm=True,
                remainder='last',
                residual=True,
                act=act,
                dropout=dropout,
            )

        channels = [base_channels, base_channels * 2, base_channels * 4]
        c_prev = in_channels
        for i, (c, stride) in enumerate(zip(channels, (1, 2, 2)), 1):
            # the first G3D pathway embeds the raw input to c (PYSKL: when it has 3 channels)
            embed = c if c_prev == 3 else None
            self.add_module(
                f'gcn3d{i}', msg3d_block(c_prev, c, A, num_g3d_scales, window_sizes, stride, embed_channels=embed)
            )
            c_mid = c if i == 1 else c_prev
            self.add_module(
                f'sgcn{i}', nn.Sequential(msgcn(c_prev, c_mid, A_powers), tcn(c_mid, c, stride), tcn(c, c, act=None))
            )
            self.add_module(f'tcn{i}', tcn(c, c, dropout=tcn_dropout))
            c_prev = c
        self.out_channels = c_prev
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, M, T, V, C) -> (N, M, C_out, T_out, V)``."""
        N, M = x.shape[:2]
        x = forward_instances(self, x, self.forward_blocks)  # padding persons once per slot
        return x.reshape((N, M) + x.shape[1:])

    def forward_blocks(self, x: torch.Tensor) -> torch.Tensor:
        """The three stages on ``data_bn``'s output: ``(B, C, T, V) -> (B, C_out, T_out, V)``."""
        for i in (1, 2, 3):
            x = self.relu(getattr(self, f'sgcn{i}')(x) + getattr(self, f'gcn3d{i}')(x))
            x = getattr(self, f'tcn{i}')(x)
        return x

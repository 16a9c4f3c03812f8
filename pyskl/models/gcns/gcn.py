from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .utils import CfgType, aggregate_subsets, build_act, build_norm, conv_bn, eval_bn_affine, expand_subsets


class unit_gcn(nn.Module):
    """Spatial graph convolution over K adjacency subsets (ST-GCN / ST-GCN++).

    ``y = act(norm(sum_k conv_k(x) A_k) + res(x))`` with ``x`` of shape ``(N, C_in, T, V)`` and the
    output ``(N, C_out, T, V)``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        A (torch.Tensor): Adjacency ``(K, V, V)``.
        adaptive (str | None): How the adjacency is learned. None: fixed ``A`` (buffer); ``'init'``:
            ``A`` itself is a parameter initialised from the graph (ST-GCN++); ``'offset'``: fixed ``A``
            plus a learned offset ``PA`` (init ~0); ``'importance'``: fixed ``A`` times a learned
            edge-importance mask ``PA`` (init 1, ST-GCN).
        conv_pos (str): ``'pre'`` applies the 1x1 conv (to ``K * C_out`` channels) before aggregating
            over the graph; ``'post'`` aggregates first, then convolves ``K * C_in`` channels.
        with_res (bool): Add a residual (1x1 conv + norm when channels change) inside the unit.
        norm (str | dict): Normalisation after aggregation. Defaults to ``'BN'``.
        act (str | dict): Activation. Defaults to ``'ReLU'``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        A: torch.Tensor,
        adaptive: Optional[str] = 'importance',
        conv_pos: str = 'pre',
        with_res: bool = False,
        norm: CfgType = 'BN',
        act: CfgType = 'ReLU',
    ):
        super().__init__()
        if adaptive not in (None, 'init', 'offset', 'importance'):
            raise ValueError(f"adaptive must be None, 'init', 'offset' or 'importance', got {adaptive!r}")
        if conv_pos not in ('pre', 'post'):
            raise ValueError(f"conv_pos must be 'pre' or 'post', got {conv_pos!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_subsets = A.size(0)
        self.adaptive = adaptive
        self.conv_pos = conv_pos
        self.with_res = with_res
        self.reference_formulation = False  # see utils.reference_formulation

        if adaptive == 'init':
            self.A = nn.Parameter(A.clone())
        else:
            self.register_buffer('A', A.clone())
        if adaptive == 'offset':
            self.PA = nn.Parameter(torch.empty_like(A).uniform_(-1e-6, 1e-6))
        elif adaptive == 'importance':
            self.PA = nn.Parameter(torch.ones_like(A))

        # registration order = state-dict order of the released weights: bn, conv, down
        self.bn = build_norm(norm, out_channels)
        self.act = build_act(act)
        if conv_pos == 'pre':
            self.conv = nn.Conv2d(in_channels, out_channels * self.num_subsets, 1)
        else:
            self.conv = nn.Conv2d(in_channels * self.num_subsets, out_channels, 1)
        if with_res and in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), build_norm(norm, out_channels))

    def adjacency(self) -> torch.Tensor:
        if self.adaptive == 'offset':
            return self.A + self.PA
        if self.adaptive == 'importance':
            return self.A * self.PA
        return self.A

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        folded = None if self.reference_formulation else eval_bn_affine(self.bn)
        y = self._forward_folded(x, folded) if folded is not None else self.bn(self._aggregate(x))
        if self.with_res:
            y = y + (self.down(x) if hasattr(self, 'down') else x)
        return self.act(y)

    def _forward_folded(self, x: torch.Tensor, folded: tuple) -> torch.Tensor:
        """``bn(self._aggregate(x))`` for an eval-mode BatchNorm ``folded`` ``(scale, shift)``: every conv and
        aggregation is linear, so the per-channel scale goes into the conv weights and the shift (with the
        aggregated conv bias) into the aggregation's output, no pass over the output for the norm."""
        A = self.adjacency()
        scale, shift = folded
        k, c_out, c_in = self.num_subsets, self.out_channels, self.in_channels
        if self.conv_pos == 'post':
            return conv_bn(self.conv, self.bn, expand_subsets(x, A))
        # the aggregated 'pre' bias: sum_k b_k[c] * sum_v A[k, v, w], (C_out, W)
        bias = 0 if self.conv.bias is None else self.conv.bias.view(k, c_out).t() @ A.sum(1)
        bias = bias * scale[:, None] + shift[:, None]
        weight = self.conv.weight.view(k, c_out, c_in) * scale[:, None]
        if self.in_channels < self.out_channels:
            weight = weight.transpose(0, 1).reshape(c_out, k * c_in, 1, 1)
            return F.conv2d(expand_subsets(x, A), weight) + bias[:, None, :]
        return aggregate_subsets(F.conv2d(x, weight.view(k * c_out, c_in, 1, 1)), A, bias)

    def _aggregate(self, x: torch.Tensor) -> torch.Tensor:
        """The unit's graph convolution before the norm: ``sum_k conv_k(x) A_k``, ``(N, C_out, T, V)``."""
        A = self.adjacency()
        if self.conv_pos == 'pre' and self.in_channels < self.out_channels and not self.reference_formulation:
            # the same linear map with fewer operations: aggregate the C_in input channels over the K subsets,
            # then one conv K * C_in -> C_out with the 'pre' weights rearranged; the 'pre' bias, aggregated,
            # is sum_k b_k[c] * sum_v A[k, v, w]
            k, c_out, c_in = self.num_subsets, self.out_channels, self.in_channels
            weight = self.conv.weight.view(k, c_out, c_in).transpose(0, 1).reshape(c_out, k * c_in, 1, 1)
            y = F.conv2d(expand_subsets(x, A), weight)
            if self.conv.bias is not None:
                y = y + (self.conv.bias.view(k, c_out).t() @ A.sum(1))[:, None, :]  # (C_out, 1, W)
        elif self.conv_pos == 'pre':
            y = aggregate_subsets(self.conv(x), A)
        else:
            y = self.conv(expand_subsets(x, A))
        return y

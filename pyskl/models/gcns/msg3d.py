"""MS-G3D building blocks (Liu et al., CVPR 2020): disentangled multi-scale graph convolution and the
G3D spatial-temporal pathway over sliding temporal windows.

Key names follow the released PYSKL checkpoints (``A``, ``PA``, ``mlp.layers.{0,1}``, ``gcn3d.1``,
``out_conv``, ``out_bn``).
"""

from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..utils.graph import k_adjacency, normalize_digraph
from .utils import CfgType, build_act


def multiscale_adjacency(A: np.ndarray, num_scales: int) -> np.ndarray:
    """Disentangled multi-scale adjacency ``(num_scales, V, V)``.

    Scale ``k`` links joints exactly ``k`` hops apart in the binary adjacency ``A`` ``(V, V)``, plus
    self-links (scale 0 is the identity); every scale is column-normalised with :func:`normalize_digraph`.
    """
    return np.stack([normalize_digraph(k_adjacency(A, k, with_self=True)) for k in range(num_scales)])


def window_adjacency(A: np.ndarray, window_size: int) -> np.ndarray:
    """Binary adjacency ``(w * V, w * V)`` of a temporal window of ``w`` frames: every joint is linked to
    itself and to its neighbours in every frame of the window (``A + I`` tiled ``w x w``)."""
    return np.tile(A + np.eye(len(A), dtype=A.dtype), (window_size, window_size))


class _MLP(nn.Module):
    """1x1 conv + BN + activation, stored as ``layers.{0,1,2}`` (the released key layout)."""

    def __init__(self, in_channels: int, out_channels: int, act: CfgType = 'ReLU'):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=1), nn.BatchNorm2d(out_channels), build_act(act)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class msgcn(nn.Module):
    """Disentangled multi-scale graph convolution: ``(N, C_in, T, V) -> (N, C_out, T, V)``.

    ``y = act(BN(conv1x1(concat_k x (A_k + PA_k))))``: the input is aggregated over each of the K
    adjacency scales, the K aggregates are stacked along channels (scale-major, ``k * C_in + c``) and
    mixed by a 1x1 conv.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        A (torch.Tensor): Multi-scale adjacency ``(K, V, V)`` (a buffer, e.g. from
            :func:`multiscale_adjacency`); ``y[w] = sum_v x[v] A[k, v, w]``.
        act (str | dict | None): Activation after the BN. Defaults to ``'ReLU'``.

    A learned offset ``PA`` ``(K, V, V)`` (init ``U(-1e-6, 1e-6)``) is added to ``A``.
    """

    def __init__(self, in_channels: int, out_channels: int, A: torch.Tensor, act: CfgType = 'ReLU'):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_scales = A.size(0)
        self.register_buffer('A', A.clone())
        self.PA = nn.Parameter(torch.empty_like(A).uniform_(-1e-6, 1e-6))
        self.mlp = _MLP(in_channels * self.num_scales, out_channels, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, v = x.shape
        support = torch.einsum('nctv,kvw->nkctw', x, self.A + self.PA)
        return self.mlp(support.reshape(n, self.num_scales * c, t, v))

    def forward_windows(
        self, x: torch.Tensor, window_size: int, window_stride: int = 1, window_dilation: int = 1
    ) -> torch.Tensor:
        """This unit on the sliding temporal windows of ``x`` ``(N, C_in, T, V)``, ``A`` being the window graph's
        ``(K, w * V, w * V)``: ``(N, C_out, w * V, T')`` (note the order), the same as
        ``self(unfold_windows(x, w, stride, dilation)).transpose(2, 3)`` with the operations reordered:

        - the 1x1 ``mlp`` conv (linear, per position) commutes with the windowing and the aggregation, so it
          runs once per frame, ``(N, C_in, V, T) -> (N, C_out * K, V, T)`` (its weight viewed
          ``(C_out * K, C_in)``): ``w`` times fewer multiply-adds than on the unfolded windows (its bias is
          added after the aggregation);
        - the aggregation over the window's frames ``j``, joints ``v`` and scales ``k`` of the padded frames
          ``t' * stride + j * dilation`` is a 1D convolution along time with ``K * V`` input channels,
          ``w * V`` output channels and ``(A + PA)[k, j * V + v, u]`` as its kernel; nothing ``w``-fold is
          laid out.

        It pays when ``C_out`` is not much wider than ``C_in`` (:meth:`msg3d_unit.forward` chooses).
        """
        n, c, t, v = x.shape
        conv, bn, act = self.mlp.layers
        K, E, w = self.num_scales, conv.out_channels, window_size
        z = F.conv2d(x.transpose(2, 3), conv.weight.view(E * K, c, 1, 1))  # (N, E * K, V, T): [e * K + k]
        A = self.A + self.PA  # (K, w * V, w * V)
        kernel = A.view(K, w, v, w * v).permute(3, 0, 2, 1).reshape(w * v, K * v, w)  # [u, k * V + v, j]
        span = (w - 1) * window_dilation + 1
        y = F.conv1d(z.view(n * E, K * v, t), kernel, None, window_stride, (span - 1) // 2, window_dilation)
        return act(bn(y.view(n, E, w * v, -1) + conv.bias[:, None, None]))


def unfold_windows(x: torch.Tensor, window_size: int, window_stride: int = 1, window_dilation: int = 1) -> torch.Tensor:
    """Sliding temporal windows: ``(N, C, T, V) -> (N, C, T', w * V)``, window-major in the last dimension.

    Frames are zero-padded by ``(w + (w - 1) * (d - 1) - 1) // 2`` on both sides, so
    ``T' = (T + 2 * pad - (w - 1) * d - 1) // stride + 1`` (``T' = ceil(T / stride)`` for odd ``w``).
    """
    span = (window_size - 1) * window_dilation + 1
    pad = (span - 1) // 2
    x = nn.functional.pad(x, (0, 0, pad, pad))
    x = x.unfold(2, span, window_stride)  # N, C, T', V, span (a view)
    if window_dilation > 1:
        x = x[..., ::window_dilation]
    n, c, t = x.shape[:3]
    return x.permute(0, 1, 2, 4, 3).reshape(n, c, t, -1)


class UnfoldWindows(nn.Module):
    """:func:`unfold_windows` as a module (no state): ``(N, C, T, V) -> (N, C, T', w * V)``."""

    def __init__(self, window_size: int, window_stride: int = 1, window_dilation: int = 1):
        super().__init__()
        self.window_size = window_size
        self.window_stride = window_stride
        self.window_dilation = window_dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return unfold_windows(x, self.window_size, self.window_stride, self.window_dilation)


class msg3d_unit(nn.Module):
    """One G3D pathway: multi-scale graph convolution on the spatial-temporal graph of each temporal window,
    then a ``(window x 1)`` conv collapsing the window. ``(N, C_in, T, V) -> (N, C_out, T', V)``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        A (np.ndarray): Binary skeleton adjacency ``(V, V)`` without self-links.
        num_scales (int): Adjacency scales of the window graph.
        window_size (int): Frames per window ``w``.
        window_stride (int): Temporal stride between windows.
        window_dilation (int): Temporal dilation inside a window.
        embed_channels (int | None): Output channels of the window graph convolution; the window conv then
            maps them to ``out_channels``. None keeps ``in_channels``.

    Keys: ``gcn3d.1`` (a :class:`msgcn`; ``gcn3d.0`` is the stateless :class:`UnfoldWindows`),
    ``out_conv`` (Conv3d), ``out_bn``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        A: np.ndarray,
        num_scales: int,
        window_size: int,
        window_stride: int = 1,
        window_dilation: int = 1,
        embed_channels: Optional[int] = None,
    ):
        super().__init__()
        self.window_size = window_size
        self.embed_channels = embed_channels or in_channels
        A_scales = torch.tensor(multiscale_adjacency(window_adjacency(A, window_size), num_scales), dtype=torch.float32)
        self.gcn3d = nn.Sequential(
            UnfoldWindows(window_size, window_stride, window_dilation),
            msgcn(in_channels, self.embed_channels, A_scales),
        )
        self.out_conv = nn.Conv3d(self.embed_channels, out_channels, kernel_size=(1, window_size, 1))
        self.out_bn = nn.BatchNorm2d(out_channels)
        self.reference_formulation = False  # see utils.reference_formulation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, T, V) -> (N, C_out, T', V)``: ``out_bn(out_conv(gcn3d(x)))`` (windows unfolded, aggregated
        over the window graph's scales, embedded by ``mlp``, collapsed by ``out_conv``), or the same through
        :meth:`msgcn.forward_windows` (no unfolding; ``out_conv`` then a 1x1 conv over ``C_e * w`` channels)
        when that needs fewer multiply-adds: per output frame, scale and sample, unfolding costs
        ``C_in * (wV)^2 + wV * C_in * C_e`` and the reordered form ``V * C_in * C_e * stride + (wV)^2 * C_e``
        (its 1x1 conv runs on all ``T ~ stride * T'`` frames), so it is taken for the wide blocks, not for the
        3-channel input (and not in an ONNX export)."""
        n, c, _, v = x.shape
        unfold, gcn = self.gcn3d
        w, E = self.window_size, self.embed_channels
        wv = w * v
        # ONNX export (TorchScript) cannot take a conv kernel computed in the graph: it traces the unfolding form
        reorder = v * c * E * unfold.window_stride + wv * wv * E < c * wv * wv + wv * c * E
        if not reorder or self.reference_formulation or torch.onnx.is_in_onnx_export():
            y = gcn(unfold(x)).view(n, E, -1, w, v)  # (N, C_e, T', w, V)
            return self.out_bn(self.out_conv(y).squeeze(3))
        y = gcn.forward_windows(x, w, unfold.window_stride, unfold.window_dilation)  # (N, C_e, w * V, T')
        out = F.conv2d(y.view(n, E * w, v, -1), self.out_conv.weight.view(-1, E * w, 1, 1), self.out_conv.bias)
        return self.out_bn(out).transpose(2, 3).contiguous()  # (N, C_out, T', V)


class msg3d_block(nn.Module):
    """Multi-window G3D: the sum of :class:`msg3d_unit` pathways with different window sizes.

    ``(N, C_in, T, V) -> (N, C_out, T', V)``; keys ``gcn3d.{i}``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        A (np.ndarray): Binary skeleton adjacency ``(V, V)``.
        num_scales (int): Adjacency scales of each window graph.
        window_sizes (sequence[int]): One pathway per window size. Defaults to ``(3, 5)``.
        window_stride (int): Temporal stride.
        window_dilations (sequence[int] | None): Dilation of each pathway. None: 1 for all.
        embed_channels (int | None): See :class:`msg3d_unit`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        A: np.ndarray,
        num_scales: int,
        window_sizes: Sequence[int] = (3, 5),
        window_stride: int = 1,
        window_dilations: Optional[Sequence[int]] = None,
        embed_channels: Optional[int] = None,
    ):
        super().__init__()
        window_dilations = window_dilations or [1] * len(window_sizes)
        if len(window_dilations) != len(window_sizes):
            raise ValueError(f'window_dilations {window_dilations} must match window_sizes {window_sizes}')
        self.gcn3d = nn.ModuleList(
            [
                msg3d_unit(in_channels, out_channels, A, num_scales, w, window_stride, d, embed_channels)
                for w, d in zip(window_sizes, window_dilations)
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.gcn3d[0](x)
        for unit in self.gcn3d[1:]:
            out = out + unit(x)
        return out

"""CTR-GCN's spatial unit (Chen et al., ICCV 2021), as PYSKL re-implemented it."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .utils import accumulate_products, conv_bn, eval_bn_affine, kaiming_bn_init_


class CTRGC(nn.Module):
    """Channel-wise topology refinement graph convolution of one adjacency subset.

    ``(N, C_in, T, V)`` and a shared ``A_k`` ``(V, V)`` -> ``(N, C_out, T, V)``:
    ``x1, x2 = mean_T(conv1(x)), mean_T(conv2(x))`` ``(N, R, V)``; the channel-wise topology
    ``Q = conv4(tanh(x1[..., :, None] - x2[..., None, :])) * alpha + A_k`` ``(N, C_out, V, V)``;
    ``y[n, c, t, w] = sum_v Q[n, c, v, w] * conv3(x)[n, c, t, v]``.

    Args:
        in_channels (int): C_in.
        out_channels (int): C_out.
        rel_reduction (int): ``R = in_channels // rel_reduction``, or 8 when ``in_channels <= 16``.
    """

    def __init__(self, in_channels: int, out_channels: int, rel_reduction: int = 8):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.rel_channels = 8 if in_channels <= 16 else in_channels // rel_reduction
        self.conv1 = nn.Conv2d(in_channels, self.rel_channels, kernel_size=1)
        self.conv2 = nn.Conv2d(in_channels, self.rel_channels, kernel_size=1)
        self.conv3 = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.conv4 = nn.Conv2d(self.rel_channels, out_channels, kernel_size=1)
        self.tanh = nn.Tanh()

    def forward(self, x: torch.Tensor, A: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        """``x`` ``(N, C_in, T, V)``, ``A`` ``(V, V)``, ``alpha`` ``(1,)`` -> ``(N, C_out, T, V)``."""
        x1, x2, x3 = self.conv1(x).mean(-2), self.conv2(x).mean(-2), self.conv3(x)
        topo = self.conv4(self.tanh(x1.unsqueeze(-1) - x2.unsqueeze(-2))) * alpha + A  # (N, C_out, V, V)
        return torch.einsum('ncuv,nctu->nctv', topo, x3)


class unit_ctrgcn(nn.Module):
    """CTR-GCN spatial unit: the sum of one :class:`CTRGC` per adjacency subset, then
    ``relu(bn(y) + down(x))``; ``(N, C_in, T, V) -> (N, C_out, T, V)``.

    State-dict keys as PYSKL's: ``A`` (learned, initialised from the graph), ``alpha`` (shared refinement
    weight, initialised to 0), ``convs.<k>.conv1..conv4``, ``down`` (1x1 conv + BN, only when
    ``C_in != C_out``) and ``bn`` (weight initialised to 1e-6, so the unit starts close to ``down(x)``).

    Args:
        in_channels (int): C_in.
        out_channels (int): C_out.
        A (torch.Tensor): Adjacency ``(K, V, V)``.
    """

    def __init__(self, in_channels: int, out_channels: int, A: torch.Tensor):
        super().__init__()
        if A.dim() != 3 or A.size(1) != A.size(2):
            raise ValueError(f'unit_ctrgcn: A must have shape (K, V, V), got {tuple(A.shape)}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_subsets = A.size(0)
        self.A = nn.Parameter(A.clone())
        self.alpha = nn.Parameter(torch.zeros(1))
        self.reference_formulation = False  # see utils.reference_formulation
        self.convs = nn.ModuleList(CTRGC(in_channels, out_channels) for _ in range(self.num_subsets))
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.init_weights()

    def init_weights(self) -> None:
        """PYSKL's: Kaiming (fan-out) convs with zero bias, BN 1 / 0, ``bn.weight`` 1e-6."""
        kaiming_bn_init_(self)
        nn.init.constant_(self.bn.weight, 1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, T, V) -> (N, C_out, T, V)``.

        The sum over subsets of :meth:`CTRGC.forward`, computed for all K subsets at once: ``conv3`` of every
        subset as one conv, ``conv1`` / ``conv2`` as one conv of the time-averaged input (a 1x1 conv commutes
        with the mean over T), ``conv4`` as one grouped conv, the K channel-wise aggregations in training as one
        batched product summed over subsets, in eval as K batched products accumulating into one output that
        the eval-mode ``bn``'s shift and the residual start, its scale folded into ``conv3`` (with
        ``reference_formulation``: PYSKL's one CTRGC per subset)."""
        if self.reference_formulation:
            y = sum(conv(x, self.A[k], self.alpha) for k, conv in enumerate(self.convs))
            return self.relu(self.bn(y) + (self.down(x) if hasattr(self, 'down') else x))
        res = conv_bn(self.down[0], self.down[1], x) if hasattr(self, 'down') else x
        return self._aggregate(x, eval_bn_affine(self.bn), res)

    def _aggregate(self, x: torch.Tensor, folded: Optional[tuple], res: torch.Tensor) -> torch.Tensor:
        """``relu(bn(sum_k CTRGC_k(x)) + res)``, all K subsets at once, with ``folded`` the ``(scale, shift)`` of
        an eval-mode ``bn`` (or None): ``(N, C_in, T, V) -> (N, C_out, T, V)``."""
        N, _, T, V = x.shape
        K, C_out, R = self.num_subsets, self.out_channels, self.convs[0].rel_channels
        convs = self.convs
        rel_convs = [c.conv1 for c in convs] + [c.conv2 for c in convs]
        x12 = F.conv2d(
            x.mean(-2, keepdim=True),
            torch.cat([c.weight for c in rel_convs]),
            torch.cat([c.bias for c in rel_convs]),
        )  # (N, 2 * K * R, 1, V)
        x1, x2 = x12.squeeze(-2).split(K * R, dim=1)  # (N, K * R, V) each
        rel = torch.tanh(x1.unsqueeze(-1) - x2.unsqueeze(-2))  # (N, K * R, V, V)
        topo = F.conv2d(
            rel, torch.cat([c.conv4.weight for c in convs]), torch.cat([c.conv4.bias for c in convs]), groups=K
        )  # (N, K * C_out, V, V)
        topo = topo.view(N, K, C_out, V, V) * self.alpha + self.A[None, :, None]
        if folded is None:  # training: one batched product over (sample, subset, channel), summed over subsets
            x3 = F.conv2d(x, torch.cat([c.conv3.weight for c in convs]), torch.cat([c.conv3.bias for c in convs]))
            y = torch.matmul(x3.view(N, K, C_out, T, V), topo).sum(1)  # (N, C_out, T, V)
            return self.relu(self.bn(y) + res)
        # eval: conv3 of all subsets, the norm's scale folded in, with channel-major outputs (channel c * K + k), so
        # that every subset's part is a batch of N * C_out (T, V) matrices without a copy (the topologies are
        # reordered alike, V x V each); the K products accumulate into the norm's shift plus the residual
        weight = torch.stack([c.conv3.weight for c in convs], 1) * folded[0][:, None, None, None, None]
        bias = torch.stack([c.conv3.bias for c in convs], 1) * folded[0][:, None]  # (C_out, K)
        x3 = F.conv2d(x, weight.flatten(0, 1), bias.flatten()).contiguous()  # (N, C_out * K, T, V)
        adjs = topo.transpose(1, 2).reshape(N * C_out, K, V, V).unbind(1)
        init = (res + folded[1][:, None, None]).reshape(N * C_out, T, V)
        y = accumulate_products(init, x3.view(N * C_out, K, T, V).unbind(1), adjs)
        return y.view(N, C_out, T, V).relu_()

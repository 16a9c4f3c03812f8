import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .utils import accumulate_products, conv_act, conv_bn, eval_bn_affine, fold_affine, kaiming_bn_init_


class unit_aagcn(nn.Module):
    """Adaptive graph convolution with spatial-temporal-channel attention (2s-AGCN / MS-AAGCN).

    ``(N, C_in, T, V) -> (N, C_out, T, V)``. For each subset ``k`` of the adjacency ``A (K, V, V)`` the
    features are aggregated over joints with ``A_k + alpha * tanh(theta_k(x)^T phi_k(x) / (C_e * T))``
    (the data-dependent graph; ``theta_k`` / ``phi_k`` are 1x1 convs ``conv_a`` / ``conv_b`` to
    ``C_e = out_channels // coff_embedding`` channels), then projected by a 1x1 conv ``conv_d[k]``; the
    subsets are summed, normalised (``bn``), added to the residual (``down``: identity, or 1x1 conv + BN
    when channels change) and passed through ReLU. With ``attention`` the result is re-weighted by a
    spatial (``conv_sa``, over joints), a temporal (``conv_ta``, over frames) and a channel (``fc1c`` /
    ``fc2c``) attention, each as ``y = y * sigmoid(att) + y``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        A (torch.Tensor): Adjacency ``(K, V, V)``.
        coff_embedding (int): ``out_channels`` divided by this is the embedding width of ``conv_a`` /
            ``conv_b``. Defaults to 4.
        adaptive (bool): Learn the adjacency (``A`` a parameter, plus the data-dependent term with
            weight ``alpha``, initialised to 0). False keeps ``A`` a fixed buffer. Defaults to True.
        attention (bool): Add the spatial-temporal-channel attention (AAGCN); False gives AGCN.
            Defaults to True.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        A: torch.Tensor,
        coff_embedding: int = 4,
        adaptive: bool = True,
        attention: bool = True,
    ):
        super().__init__()
        if A.dim() != 3 or A.size(1) != A.size(2):
            raise ValueError(f'A must be (K, V, V), got {tuple(A.shape)}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.inter_channels = out_channels // coff_embedding
        self.num_subsets = A.size(0)
        self.adaptive = adaptive
        self.attention = attention
        self.reference_formulation = False  # see utils.reference_formulation
        num_joints = A.size(-1)

        if adaptive:
            self.A = nn.Parameter(A.clone())
            self.alpha = nn.Parameter(torch.zeros(1))
        else:
            self.register_buffer('A', A.clone())
        self.conv_d = nn.ModuleList(nn.Conv2d(in_channels, out_channels, 1) for _ in range(self.num_subsets))
        if adaptive:
            self.conv_a = nn.ModuleList(nn.Conv2d(in_channels, self.inter_channels, 1) for _ in range(self.num_subsets))
            self.conv_b = nn.ModuleList(nn.Conv2d(in_channels, self.inter_channels, 1) for _ in range(self.num_subsets))
        if attention:
            self.conv_ta = nn.Conv1d(out_channels, 1, 9, padding=4)
            ker_joint = num_joints if num_joints % 2 else num_joints - 1
            self.conv_sa = nn.Conv1d(out_channels, 1, ker_joint, padding=(ker_joint - 1) // 2)
            self.fc1c = nn.Linear(out_channels, out_channels // 2)
            self.fc2c = nn.Linear(out_channels // 2, out_channels)
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU()
        self.init_weights()

    def init_weights(self) -> None:
        """The original initialisation: Kaiming (fan-out) 1x1 convs, BN 1 (``bn``: 1e-6), branch-scaled
        ``conv_d``, zero temporal / channel-output attention (so attention starts as identity x 2)."""
        kaiming_bn_init_(self)
        nn.init.constant_(self.bn.weight, 1e-6)
        for conv in self.conv_d:
            out_c, in_c, k1, k2 = conv.weight.shape
            nn.init.normal_(conv.weight, 0, math.sqrt(2.0 / (out_c * in_c * k1 * k2 * self.num_subsets)))
            nn.init.zeros_(conv.bias)
        if self.attention:
            nn.init.zeros_(self.conv_ta.weight)
            nn.init.zeros_(self.conv_ta.bias)
            nn.init.xavier_normal_(self.conv_sa.weight)
            nn.init.zeros_(self.conv_sa.bias)
            nn.init.kaiming_normal_(self.fc1c.weight)
            nn.init.zeros_(self.fc1c.bias)
            nn.init.zeros_(self.fc2c.weight)
            nn.init.zeros_(self.fc2c.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        original = self.reference_formulation
        folded = None if original or self.training else eval_bn_affine(self.bn)  # the eval norm as (scale, shift)
        res = x
        if hasattr(self, 'down'):
            res = self.down(x) if original else conv_bn(self.down[0], self.down[1], x)
        if original:
            y = self.act(self.bn(self._aggregate_per_subset(x)) + res)
        elif folded is not None and self.adaptive and self.in_channels >= self.out_channels and x.is_contiguous():
            y = self._aggregate_merged(x, folded, res)
        else:
            y = self._aggregate(x, folded, res)
        return self._attend(y, original)

    def _aggregate_merged(self, x: torch.Tensor, folded: tuple, res: torch.Tensor) -> torch.Tensor:
        """``act(bn(self._aggregate(x)) + res)`` for ``C_in >= C_out`` with an eval-mode BatchNorm ``folded``
        ``(scale, shift)`` (see ``eval_bn_affine``): ``conv_d``, ``conv_a`` and ``conv_b`` read the same input, so
        they run as one conv, its output channels ordered subset by subset (``[d_k, a_k, b_k]``) so that every
        subset's part is a strided batch of ``N * K`` matrices with no copy; the norm's scale is folded into the
        ``conv_d`` weights, its shift into the summed ``conv_d`` biases (:meth:`_sum_subsets`)."""
        N, _, T, V = x.shape
        K, C_e, C_out = self.num_subsets, self.inter_channels, self.out_channels
        scale, shift = folded
        weights, biases = [], []
        for d, a, b in zip(self.conv_d, self.conv_a, self.conv_b):
            weights += [d.weight * scale[:, None, None, None], a.weight, b.weight]
            biases += [torch.zeros_like(d.bias), a.bias, b.bias]
        out = F.conv2d(x, torch.cat(weights), torch.cat(biases))  # (N, K * (C_out + 2 * C_e), T, V)
        z, theta, phi = out.view(N * K, C_out + 2 * C_e, T * V).split([C_out, C_e, C_e], dim=1)
        theta, phi = theta.reshape(N * K, C_e * T, V), phi.reshape(N * K, C_e * T, V)
        adaptive = torch.tanh(torch.bmm(theta.transpose(1, 2), phi) / (C_e * T)) * self.alpha  # (N * K, V, V)
        A = adaptive.view(N, K, V, V) + self.A
        bias = sum(d.bias for d in self.conv_d) * scale + shift
        return self._sum_subsets(z.reshape(N, K, C_out * T, V), A.unbind(1), bias, folded, res)

    def _aggregate(self, x: torch.Tensor, folded: Optional[tuple], res: torch.Tensor) -> torch.Tensor:
        """``act(bn(sum_k conv_d[k](x (A_k + adaptive_k(x)))) + res)`` for all subsets at once; ``folded``, the
        ``(scale, shift)`` of an eval-mode ``bn`` (or None), is folded into the ``conv_d`` weights and bias."""
        N, C, T, V = x.shape
        K = self.num_subsets
        A = self.A  # (K, V, V)
        if self.adaptive:
            # conv_a and conv_b of all subsets as one conv: (N, 2 * K * C_e, T, V)
            convs = list(self.conv_a) + list(self.conv_b)
            ab = F.conv2d(x, torch.cat([c.weight for c in convs]), torch.cat([c.bias for c in convs]))
            theta, phi = ab.split(K * self.inter_channels, dim=1)
            theta = theta.reshape(N, K, self.inter_channels * T, V).transpose(2, 3)  # (N, K, V, C_e * T)
            phi = phi.reshape(N, K, self.inter_channels * T, V)
            A = A + torch.tanh(torch.matmul(theta, phi) / theta.size(-1)) * self.alpha  # (N, K, V, V)
        # sum_k conv_d[k](x A_k) as one batched product over (sample, subset) and one conv: with fewer input than
        # output channels the K aggregates are stacked (N, K * C_in, T, V) and projected by the conv_d weights
        # side by side (an eval norm, the residual add and the ReLU go into that conv: conv_act); otherwise
        # sum_k (W_k x) A_k + sum_k b_k: one conv to K * C_out channels, whose K parts are aggregated into one
        # output that the summed biases (and in eval the norm's shift and the residual) start
        C_out = self.out_channels
        bias = sum(c.bias for c in self.conv_d)
        if C < C_out:
            agg = torch.matmul(x.reshape(N, 1, C * T, V), A).view(N, K * C, T, V)
            weight = torch.cat([c.weight for c in self.conv_d], dim=1)
            if folded is not None:
                return conv_act(self.conv_d[0], agg, *fold_affine(weight, bias, folded), residual=res, relu=True)
            return self.act(self.bn(F.conv2d(agg, weight, bias)) + res)
        weight = torch.cat([c.weight for c in self.conv_d])
        if folded is not None:
            weight = weight * folded[0].repeat(K)[:, None, None, None]
            bias = bias * folded[0] + folded[1]
        z = F.conv2d(x.contiguous(), weight)  # (N, K * C_out, T, V)
        adjs = A.unbind(-3) if A.dim() == 4 else [a.expand(N, V, V) for a in A]
        return self._sum_subsets(z.view(N, K, C_out * T, V), adjs, bias, folded, res)

    def _sum_subsets(
        self, z: torch.Tensor, adjs, bias: torch.Tensor, folded: Optional[tuple], res: torch.Tensor
    ) -> torch.Tensor:
        """``act(bn(sum_k z_k A_k + bias) + res)`` ``(N, C_out, T, V)`` from the subsets' ``conv_d`` outputs ``z``
        ``(N, K, C_out * T, V)`` and adjacencies ``adjs`` (K of ``(N, V, V)``), the products accumulating into one
        output (:func:`accumulate_products`). With ``folded`` the eval norm is already in ``z`` and ``bias``: the
        bias and the residual start the sum and the ReLU runs in place; without, the bias starts it."""
        N, _, M, V = z.shape
        T = M // self.out_channels
        if folded is None:
            y = accumulate_products(bias.repeat_interleave(T)[:, None], z.unbind(1), adjs)
            return self.act(self.bn(y.view(N, -1, T, V)) + res)
        y = accumulate_products((res + bias[:, None, None]).reshape(N, M, V), z.unbind(1), adjs)
        return y.view(N, -1, T, V).relu_()  # self.act, in place on the new output

    def _aggregate_per_subset(self, x: torch.Tensor) -> torch.Tensor:
        """``sum_k conv_d[k](x (A_k + adaptive_k(x)))`` one subset at a time, as the original writes it
        (``reference_formulation``): ``(N, C_in, T, V) -> (N, C_out, T, V)``, before the norm."""
        N, C, T, V = x.shape
        y = 0
        for k in range(self.num_subsets):
            A = self.A[k]
            if self.adaptive:
                theta = self.conv_a[k](x).permute(0, 3, 1, 2).reshape(N, V, self.inter_channels * T)
                phi = self.conv_b[k](x).reshape(N, self.inter_channels * T, V)
                A = A + torch.tanh(torch.matmul(theta, phi) / theta.size(-1)) * self.alpha
            y = y + self.conv_d[k](torch.matmul(x.reshape(N, C * T, V), A).reshape(N, C, T, V))
        return y

    def _attend(self, y: torch.Tensor, original: bool = False) -> torch.Tensor:
        """The spatial, temporal and channel attentions (when ``attention``), in that order, each ``y * att + y``
        of the previous one's output.

        Unless ``original`` the three re-weightings are applied in one go: with ``s = 1 + att_s`` ``(N, V)`` and
        ``t = 1 + att_t`` ``(N, T)``, the temporal attention's input (the joint mean of ``y * s``) is a weighted
        mean of ``y`` (a batched matrix-vector product), the channel attention's (the mean of ``y * s * t`` over
        frames and joints) the ``t``-weighted mean of that over frames, and the output is
        ``y * (t s^T) * (1 + att_c)``: two reductions and two products over ``y`` instead of three and three."""
        if not self.attention:
            return y
        if original:
            atts = (
                lambda y: torch.sigmoid(self.conv_sa(y.mean(-2))).unsqueeze(-2),  # (N, 1, 1, V)
                lambda y: torch.sigmoid(self.conv_ta(y.mean(-1))).unsqueeze(-1),  # (N, 1, T, 1)
                lambda y: torch.sigmoid(self.fc2c(self.act(self.fc1c(y.mean((-2, -1))))))[..., None, None],
            )
            for att in atts:
                y = y * att(y) + y
            return y
        N, C, T, V = y.shape
        s = torch.sigmoid(self.conv_sa(y.mean(-2))) + 1  # (N, 1, V)
        y_t = torch.bmm(y.reshape(N, C * T, V), s.view(N, V, 1)).view(N, C, T) / V  # joint mean of y * s
        t = torch.sigmoid(self.conv_ta(y_t)) + 1  # (N, 1, T)
        st = t.view(N, T, 1) * s  # (N, T, V)
        # the channel attention's input, the mean of y * s * t over frames and joints, from y_t: no pass over y
        y_c = torch.bmm(y_t, t.view(N, T, 1)).view(N, C) / T
        c = torch.sigmoid(self.fc2c(self.act(self.fc1c(y_c)))) + 1  # (N, C)
        out = y * st.view(N, 1, T, V)
        return out.mul_(c[:, :, None, None]) if not torch.is_grad_enabled() else out * c[:, :, None, None]

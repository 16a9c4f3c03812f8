"""DG-STGCN building blocks (Duan et al., 2022): the DG-GCN spatial unit and the DG-TCN temporal unit."""

from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch.autograd.function import once_differentiable

from .tcn import BranchCfg, mstcn
from .utils import (
    CfgType,
    build_act,
    build_norm,
    channels_last_grad,
    conv_bn,
    conv_bn_act,
    is_channels_last,
    is_relu,
    mean_keepdim,
    memory_format_of,
)

_GRAPH_ACTS = ('tanh', 'relu', 'sigmoid', 'softmax')


def _graph_act(name: str) -> nn.Module:
    """Activation applied to a learned affinity ``(..., V, V)``; softmax normalises over the source joint."""
    return {'tanh': nn.Tanh, 'relu': nn.ReLU, 'sigmoid': nn.Sigmoid, 'softmax': lambda: nn.Softmax(dim=-2)}[name]()


class _Aggregate(torch.autograd.Function):
    """``torch.einsum(equation, feat, A)`` (``'x,a->y'``; size-1 dims of ``A`` broadcast) that saves ``feat``
    itself for the backward pass. ``einsum`` saves the copy it makes to multiply (a channels-last ``feat`` is
    copied to the plain layout): one more feature-sized tensor per unit held until the backward pass, +13 % peak
    training memory for DG-STGCN. The ReLU before it saves ``feat`` anyway, so this costs no memory; the backward
    pass makes the copy again, briefly."""

    @staticmethod
    def forward(ctx, equation: str, feat: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        ctx.equation = equation
        ctx.save_for_backward(feat, A)
        return torch.einsum(equation, feat, A)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        feat, A = ctx.saved_tensors
        inputs, y = ctx.equation.split('->')
        x, a = inputs.split(',')
        grad_feat = grad_A = None
        # under autocast the forward's einsum ran in the lower precision (grad has its dtype); compute the same way
        if ctx.needs_input_grad[1]:
            grad_feat = torch.einsum(f'{y},{a}->{x}', grad, A.to(grad.dtype)).sum_to_size(feat.shape)
            grad_feat = grad_feat.to(feat.dtype)
        if ctx.needs_input_grad[2]:
            grad_A = torch.einsum(f'{x},{y}->{a}', feat.to(grad.dtype), grad).sum_to_size(A.shape).to(A.dtype)
        return None, grad_feat, grad_A


def _aggregate(equation: str, feat: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """``torch.einsum(equation, feat, A)``; through :class:`_Aggregate` when autograd records it (a jit trace,
    as FLOP counting and ONNX export use, sees the plain einsum)."""
    if torch.is_grad_enabled() and (feat.requires_grad or A.requires_grad) and not torch.jit.is_tracing():
        return _Aggregate.apply(equation, feat, A)
    return torch.einsum(equation, feat, A)


class dggcn(nn.Module):
    """Dynamic group graph convolution (DG-GCN): ``(N, C_in, T, V) -> (N, C_out, T, V)``.

    The input is projected into ``K`` groups of ``mid_channels = int(ratio * C_out)`` channels
    (``pre``: 1x1 conv + norm + act). Group ``k`` is aggregated over joints with its own affinity
    ``A_k + alpha * ctr_k(x) + beta * ada_k(x)``:

    - ``A`` ``(K, V, V)``: a learned, input-independent affinity initialised from the graph;
    - ``ctr``: channel-wise topology refinement, ``ctr_act(x1[..., :, None] - x2[..., None, :])`` of shape
      ``(N, K, mid, T', V, V)``;
    - ``ada``: data-dependent affinity, ``ada_act(sum_c x1[c, v] * x2[c, w])`` of shape ``(N, K, 1, T', V, V)``;

    where ``x1, x2 = conv1(x'), conv2(x')`` are ``(N, K, mid, T', V)`` and ``x'`` is ``x`` averaged over time
    (``T' = 1``, mode ``'T'``) or not (``T' = T``, mode ``'NA'`` for either option). The groups are concatenated
    and fused by ``post`` (1x1 conv to ``C_out``); then ``act(bn(y) + down(x))``.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        A (torch.Tensor): Initial affinity ``(K, V, V)`` (e.g. the ``'random'`` graph); learned.
        ratio (float | None): ``mid_channels = int(ratio * out_channels)``; None means ``1 / K``.
        ctr (str | None): ``'T'`` (time-pooled), ``'NA'`` (per frame) or None (off).
        ada (str | None): ``'T'``, ``'NA'`` or None, as ``ctr``.
        subset_wise (bool): Scale the dynamic terms by ``alpha[k]`` / ``beta[k]`` per group; False uses
            ``alpha[0]`` / ``beta[0]`` for every group (as the released models).
        ada_act (str): Activation of the ``ada`` affinity: ``'tanh'``, ``'relu'``, ``'sigmoid'`` or
            ``'softmax'`` (over the source-joint axis). Defaults to ``'softmax'``.
        ctr_act (str): Activation of the ``ctr`` affinity, same choices. Defaults to ``'tanh'``.
        norm (str | dict): Normalisation. Defaults to ``'BN'``.
        act (str | dict): Activation. Defaults to ``'ReLU'``.
        pool_first (bool): With time pooling (``'T'``), average ``x`` over time before ``conv1`` / ``conv2``
            (DG-STGCN) or after them (ProtoGCN). The two are the same linear map (a 1x1 conv commutes with the
            mean over time), so the unit always pools first, which skips two convs over all frames; only under
            :func:`~pyskl.models.gcns.utils.reference_formulation` does ``pool_first=False`` convolve every
            frame, as the original code, for operation counts.
        return_graph (bool): Also return the dynamic part of the affinity, ``alpha * ctr + beta * ada``, as
            ``(N, K * mid, V, V)`` (group-major channels; ProtoGCN). Needs time pooling.

    ``alpha`` (``beta``) and ``conv1`` / ``conv2`` exist only when ``ctr`` (``ada``) / either is on, so
    every parameter takes part in the forward pass.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        A: torch.Tensor,
        ratio: Optional[float] = 0.25,
        ctr: Optional[str] = 'T',
        ada: Optional[str] = 'T',
        subset_wise: bool = False,
        ada_act: str = 'softmax',
        ctr_act: str = 'tanh',
        norm: CfgType = 'BN',
        act: CfgType = 'ReLU',
        pool_first: bool = True,
        return_graph: bool = False,
    ):
        super().__init__()
        for name, value in (('ctr', ctr), ('ada', ada)):
            if value not in (None, 'T', 'NA'):
                raise ValueError(f"dggcn: {name} must be None, 'T' or 'NA', got {value!r}")
        for name, value in (('ctr_act', ctr_act), ('ada_act', ada_act)):
            if value not in _GRAPH_ACTS:
                raise ValueError(f'dggcn: {name} must be one of {_GRAPH_ACTS}, got {value!r}')
        if A.dim() != 3 or A.size(1) != A.size(2):
            raise ValueError(f'dggcn: A must have shape (K, V, V), got {tuple(A.shape)}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_subsets = K = A.size(0)
        self.ratio = 1 / K if ratio is None else ratio
        self.mid_channels = mid = int(self.ratio * out_channels)
        if mid < 1:
            raise ValueError(f'dggcn: ratio={ratio} x out_channels={out_channels} gives no channel per group')
        self.ctr, self.ada, self.subset_wise = ctr, ada, subset_wise
        self.pool_time = not (ctr == 'NA' or ada == 'NA')
        self.pool_first = pool_first
        self.reference_formulation = False  # see utils.reference_formulation
        self.return_graph = return_graph
        if return_graph and (not self.pool_time or (ctr is None and ada is None)):
            raise ValueError("dggcn: return_graph needs a dynamic affinity pooled over time (ctr / ada 'T')")

        # registration order = state-dict order of the released weights
        self.A = nn.Parameter(A.clone())
        if ctr is not None:
            self.alpha = nn.Parameter(torch.zeros(K))
            self.ctr_act = _graph_act(ctr_act)
        if ada is not None:
            self.beta = nn.Parameter(torch.zeros(K))
            self.ada_act = _graph_act(ada_act)
        self.act = build_act(act)
        self.pre = nn.Sequential(nn.Conv2d(in_channels, mid * K, 1), build_norm(norm, mid * K), self.act)
        self.post = nn.Conv2d(mid * K, out_channels, 1)
        if ctr is not None or ada is not None:
            self.conv1 = nn.Conv2d(in_channels, mid * K, 1)
            self.conv2 = nn.Conv2d(in_channels, mid * K, 1)
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), build_norm(norm, out_channels))
        self.bn = build_norm(norm, out_channels)

    def _scale(self, graph: torch.Tensor, coeff: torch.Tensor) -> torch.Tensor:
        """``graph`` ``(N, K, C, T, V, V)`` times ``coeff[k]`` (subset-wise) or ``coeff[0]``."""
        if self.subset_wise:
            return graph * coeff.view(1, -1, 1, 1, 1, 1)
        return graph * coeff[0]

    def forward(self, x: torch.Tensor):
        """``(N, C_in, T, V) -> (N, C_out, T, V)``; with ``return_graph`` also the dynamic affinity
        ``(N, K * mid, V, V)``."""
        n, _, t, v = x.shape
        dynamic = []
        K, mid = self.num_subsets, self.mid_channels
        res = conv_bn(self.down[0], self.down[1], x) if hasattr(self, 'down') else x
        # a channels-last x keeps the layout: the aggregation's gradient enters pre in it, its output is put back,
        # and x's own gradient (the time mean's expansion mixes in) is made channels-last
        channels_last = is_channels_last(x)
        x = channels_last_grad(x)
        relu = is_relu(self.act)
        feat = conv_bn_act(self.pre[0], self.pre[1], x, relu=relu)
        feat = feat if relu else self.act(feat)
        feat = channels_last_grad(feat).view(n, K, mid, t, v)
        A = self.A[None, :, None, None]  # (1, K, 1, 1, V, V)
        if self.ctr is None and self.ada is None:
            y = torch.einsum('nkctv,kvw->nkctw', feat, self.A)
        else:
            # conv(mean_t(x)) == mean_t(conv(x)) for a 1x1 conv: pooling first computes the same values from one
            # frame instead of T (ProtoGCN's pool_first=False convolves every frame, kept for operation counts)
            conv_all = self.pool_time and not self.pool_first and self.reference_formulation
            # (the small pooled tensor in the plain layout, as x.mean gives it: the affinities below are built in it)
            src = mean_keepdim(x, -2).contiguous() if self.pool_time and not conv_all else x
            x1, x2 = self.conv1(src), self.conv2(src)
            if conv_all:
                x1, x2 = x1.mean(dim=-2, keepdim=True), x2.mean(dim=-2, keepdim=True)
            x1 = x1.view(n, K, mid, -1, v)  # (N, K, mid, T', V)
            x2 = x2.view(n, K, mid, -1, v)
            if self.ctr is not None:  # (N, K, mid, T', V, V)
                dynamic.append(self._scale(self.ctr_act(x1.unsqueeze(-1) - x2.unsqueeze(-2)), self.alpha))
                A = dynamic[-1] + A
            if self.ada is not None:  # (N, K, 1, T', V, V)
                affinity = torch.einsum('nkctv,nkctw->nktvw', x1, x2)[:, :, None]
                dynamic.append(self._scale(self.ada_act(affinity), self.beta))
                A = dynamic[-1] + A
            # A: (N or 1, K, mid or 1, T' or 1, V, V); contract over the source joint v
            per_channel, per_frame = A.size(2) != 1, A.size(3) != 1
            if per_channel and per_frame:
                y = _aggregate('nkctv,nkctvw->nkctw', feat, A)
            elif per_channel:
                y = _aggregate('nkctv,nkcvw->nkctw', feat, A[:, :, :, 0])
            elif per_frame:
                y = _aggregate('nkctv,nktvw->nkctw', feat, A[:, :, 0])
            else:
                y = _aggregate('nkctv,nkvw->nkctw', feat, A[:, :, 0, 0])
        y = y.reshape(n, K * mid, t, v)
        if channels_last:
            y = y.contiguous(memory_format=torch.channels_last)
        y = conv_bn_act(self.post, self.bn, y, res, relu=relu)
        y = y if relu else self.act(y)
        if self.return_graph:
            graph = sum(dynamic).expand(n, K, mid, 1, v, v)
            return y, graph.reshape(n, K * mid, v, v)
        return y


def _join_skeleton(x: torch.Tensor) -> torch.Tensor:
    """``torch.cat([x, x.mean(-1, keepdim=True)], -1)``: ``(N, C, T, V) -> (N, C, T, V + 1)`` in ``x``'s memory
    layout (``cat`` along V of channels-last tensors gives the plain layout)."""
    n, c, t, v = x.shape
    joined = torch.empty((n, c, t, v + 1), dtype=x.dtype, device=x.device, memory_format=memory_format_of(x))
    joined[..., :v] = x
    joined[..., v:] = mean_keepdim(x, -1)
    return joined


class _JoinSkeleton(torch.autograd.Function):
    """:func:`_join_skeleton` whose backward is one kernel, ``grad[..., :V] + grad[..., V:] / V``, written in the
    input's layout (autograd's own goes through two full-size copies, one per in-place slice write, and a
    plain-layout mean gradient)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.layout = memory_format_of(x)
        return _join_skeleton(x)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        n, c, t, v1 = grad.shape
        grad_x = torch.empty((n, c, t, v1 - 1), dtype=grad.dtype, device=grad.device, memory_format=ctx.layout)
        return torch.add(grad[..., :-1], grad[..., -1:], alpha=1.0 / (v1 - 1), out=grad_x)


def _fuse_skeleton(out: torch.Tensor, coeff: torch.Tensor) -> torch.Tensor:
    """``out[..., :V] + out[..., V:] * coeff``: ``(N, C, T, V + 1), (V,) -> (N, C, T, V)`` in ``out``'s layout (one
    ``addcmul``)."""
    return torch.addcmul(out[..., :-1], out[..., -1:], coeff)


class _FuseSkeleton(torch.autograd.Function):
    """:func:`_fuse_skeleton` whose backward writes the input gradient once, in ``out``'s layout (autograd's own
    scatters each slice's gradient into a zero tensor of the plain layout, adds them and copies back), and keeps
    only the last joint, ``out[..., V:]``, for the gradient of ``coeff``."""

    @staticmethod
    def forward(ctx, out: torch.Tensor, coeff: torch.Tensor) -> torch.Tensor:
        ctx.layout = memory_format_of(out)
        ctx.save_for_backward(out[..., -1:].clone(memory_format=torch.preserve_format), coeff)
        return _fuse_skeleton(out, coeff)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor):
        last, coeff = ctx.saved_tensors
        n, c, t, v = grad.shape
        grad_out = grad_coeff = None
        if ctx.needs_input_grad[0]:
            grad_out = torch.empty((n, c, t, v + 1), dtype=grad.dtype, device=grad.device, memory_format=ctx.layout)
            grad_out[..., :v] = grad
            torch.sum(grad * coeff.to(grad.dtype), dim=-1, keepdim=True, out=grad_out[..., v:])
        if ctx.needs_input_grad[1]:
            grad_coeff = (grad * last.to(grad.dtype)).sum(dim=(0, 1, 2)).to(coeff.dtype)
        return grad_out, grad_coeff


class dgmstcn(mstcn):
    """DG-TCN: :class:`mstcn` with dynamic joint-skeleton fusion, ``(N, C_in, T, V) -> (N, C_out, T', V)``.

    The skeleton-level feature (mean over joints) is appended as an extra joint, passes the same
    temporal branches, and is added back to every joint ``v`` with the learned coefficient
    ``add_coeff[v]`` before the 1x1 fusion: ``feat[..., v] = out[..., v] + add_coeff[v] * out[..., V]``.

    Args:
        in_channels, out_channels, mid_channels, dropout, ms_cfg, stride: as :class:`mstcn`.
        num_joints (int): Length of ``add_coeff``; must be at least V (the first V entries are used).
            Defaults to 25.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mid_channels: Optional[float] = None,
        num_joints: int = 25,
        dropout: float = 0.0,
        ms_cfg: Sequence[BranchCfg] = ((3, 1), (3, 2), (3, 3), (3, 4), ('max', 3), '1x1'),
        stride: int = 1,
    ):
        super().__init__(
            in_channels, out_channels, mid_channels=mid_channels, dropout=dropout, ms_cfg=ms_cfg, stride=stride
        )
        self.num_joints = num_joints
        self.add_coeff = nn.Parameter(torch.zeros(num_joints))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The branch outputs with the skeleton-level feature added back to every joint (the fusion's input)."""
        V = x.shape[-1]
        if V > self.num_joints:
            raise ValueError(f'dgmstcn: input has V={V} joints, add_coeff has only {self.num_joints}')
        coeff = self.add_coeff[:V]
        if torch.is_grad_enabled() and not torch.jit.is_tracing():
            # one kernel per direction instead of the slices' scatters into zero tensors and their layout copies
            out = self.branch_outputs(_JoinSkeleton.apply(x))
            return _FuseSkeleton.apply(out, coeff)
        return _fuse_skeleton(self.branch_outputs(_join_skeleton(x)), coeff)

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from pyskl.core.validation import is_int

from .utils import (
    CfgType,
    batch_norm_concat,
    build_act,
    build_norm,
    conv_act,
    conv_bn,
    conv_bn_act,
    eval_bn_affine,
    fold_affine,
    is_channels_last,
    is_relu,
)


class TemporalConv2d(nn.Conv2d):
    """A ``Conv2d`` (same parameters and state-dict keys) whose strided 1x1 case runs as a stride-1 conv on
    the subsampled input: ``conv1x1_stride_s(x) == conv1x1(x[:, :, ::s, ::s_w])`` exactly (a 1x1 kernel
    with no padding reads only the frames the stride keeps; the subsampling is a 1x1 average pool).

    torch 2.13's CPU (oneDNN) backward of a strided 1x1 conv on a channels-last input corrupts the heap
    with 2+ threads (``free(): invalid next size`` / ``double free``: the process aborts), e.g.
    ``Conv2d(12, 4, 1, stride=(2, 1))`` on ``(3, 12, 10, 25)``. The subsampled formulation never calls
    that kernel, in any memory layout. Other kernels and stride 1 are the plain ``Conv2d``.
    """

    def _conv_forward(self, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
        # nn.Conv2d.forward calls this with the module's own weight and bias; unit_tcn with BN-folded ones
        if self.kernel_size == (1, 1) and self.stride != (1, 1) and self.padding == (0, 0):
            if is_channels_last(x):
                # x[:, :, ::s, ::s_w] as a 1x1 average pool: the same values, and its backward keeps the layout (a
                # slice's backward scatters into a plain-layout zero tensor); on plain tensors the slice is faster
                x = F.avg_pool2d(x, 1, self.stride)
            else:
                x = x[:, :, :: self.stride[0], :: self.stride[1]]
            return F.conv2d(x, weight, bias, 1, 0, 1, self.groups)
        return super()._conv_forward(x, weight, bias)


class unit_tcn(nn.Module):
    """Temporal convolution ``(kernel_size x 1)`` + norm + dropout: ``(N, C_in, T, V) -> (N, C_out, T', V)``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Temporal kernel size. Defaults to 9.
        stride (int): Temporal stride (``T' = ceil(T / stride)``).
        dilation (int): Temporal dilation; padding keeps T when stride is 1.
        norm (str | dict | None): Normalisation; None for none. Defaults to ``'BN'``.
        dropout (float): Dropout probability after the norm.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 9,
        stride: int = 1,
        dilation: int = 1,
        norm: CfgType = 'BN',
        dropout: float = 0.0,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        pad = (kernel_size + (kernel_size - 1) * (dilation - 1) - 1) // 2
        self.conv = TemporalConv2d(
            in_channels,
            out_channels,
            kernel_size=(kernel_size, 1),
            padding=(pad, 0),
            stride=(stride, 1),
            dilation=(dilation, 1),
        )
        self.bn = build_norm(norm, out_channels)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(conv_bn(self.conv, self.bn, x))  # eval: the BatchNorm folded into the conv

    def forward_add_relu(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """``relu(self(x) + residual)`` (a block's output); in CPU inference one fused kernel
        (:func:`~pyskl.models.gcns.utils.conv_bn_act`)."""
        if self.training and self.drop.p > 0:
            return F.relu(self(x) + residual)
        return conv_bn_act(self.conv, self.bn, x, residual, relu=True)


BranchCfg = Union[str, Tuple[Union[int, str], int]]


class mstcn(nn.Module):
    """Multi-scale temporal convolution (ST-GCN++): parallel branches, concatenated and fused by a 1x1 conv.

    ``(N, C_in, T, V) -> (N, C_out, T', V)``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        mid_channels (float | None): Branch width as a fraction of ``out_channels``; None splits
            ``out_channels`` evenly across branches (see ``remainder``).
        dropout (float): Dropout applied last (after the final norm, the residual and ``act``).
        ms_cfg (sequence): One entry per branch: ``(kernel, dilation)`` for a 1x1 bottleneck + dilated
            temporal conv, ``('max', kernel)`` for a bottleneck + temporal max-pool, ``'1x1'`` for a plain
            strided 1x1 conv.
        stride (int): Temporal stride.
        fuse (bool): Fuse the concatenated branches with BN-ReLU-1x1 conv + BN (ST-GCN++). False
            (MS-G3D) outputs the concatenation itself, which needs the branch widths to sum to
            ``out_channels``.
        branch_norm (bool): MS-G3D's branches: the temporal convs keep their BN, and a BN follows the
            max-pool and the ``'1x1'`` conv.
        remainder (str): Which branch takes the remainder channels when ``mid_channels`` is None:
            ``'first'`` (ST-GCN++) or ``'last'`` (MS-G3D).
        residual (bool): Add a residual after the branches (identity when shapes match, else a strided
            1x1 :class:`unit_tcn`, key ``residual``).
        act (str | dict | None): Activation applied last (after the residual); None for none.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mid_channels: Optional[float] = None,
        dropout: float = 0.0,
        ms_cfg: Sequence[BranchCfg] = ((3, 1), (3, 2), (3, 3), (3, 4), ('max', 3), '1x1'),
        stride: int = 1,
        fuse: bool = True,
        branch_norm: bool = False,
        remainder: str = 'first',
        residual: bool = False,
        act: CfgType = None,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.ms_cfg = [tuple(c) if isinstance(c, list) else c for c in ms_cfg]
        num_branches = len(self.ms_cfg)
        if remainder not in ('first', 'last'):
            raise ValueError(f"remainder must be 'first' or 'last', got {remainder!r}")
        if mid_channels is None:
            mid = out_channels // num_branches
            rem = out_channels - mid * (num_branches - 1)
        else:
            if not (isinstance(mid_channels, float) and mid_channels > 0):
                raise ValueError(f'mid_channels must be a positive float (a fraction), got {mid_channels!r}')
            mid = rem = int(out_channels * mid_channels)
        rem_index = 0 if remainder == 'first' else num_branches - 1
        widths = [rem if i == rem_index else mid for i in range(num_branches)]
        if not fuse and sum(widths) != out_channels:
            raise ValueError(
                f'mstcn with fuse=False needs branch widths summing to out_channels={out_channels}, got {widths}'
            )
        self.act = nn.ReLU()

        branches = []
        for c, cfg in zip(widths, self.ms_cfg):
            if cfg == '1x1':
                conv = TemporalConv2d(in_channels, c, kernel_size=1, stride=(stride, 1))
                branches.append(nn.Sequential(conv, nn.BatchNorm2d(c)) if branch_norm else conv)
                continue
            if not (isinstance(cfg, tuple) and len(cfg) == 2):
                raise ValueError(f'invalid mstcn branch config {cfg!r}')
            for name, value in (('kernel', cfg[1] if cfg[0] == 'max' else cfg[0]), ('dilation', cfg[1])):
                if name == 'dilation' and cfg[0] == 'max':
                    continue
                if not is_int(value) or value < 1:
                    raise ValueError(f'mstcn branch {cfg!r}: {name} must be a positive int, got {value!r}')
            head = [nn.Conv2d(in_channels, c, kernel_size=1), nn.BatchNorm2d(c), self.act]
            if cfg[0] == 'max':
                tail = [nn.MaxPool2d(kernel_size=(cfg[1], 1), stride=(stride, 1), padding=(1, 0))]
                if branch_norm:
                    tail.append(nn.BatchNorm2d(c))
            else:
                tail = [
                    unit_tcn(
                        c, c, kernel_size=cfg[0], stride=stride, dilation=cfg[1], norm='BN' if branch_norm else None
                    )
                ]
            branches.append(nn.Sequential(*head, *tail))
        self.branches = nn.ModuleList(branches)

        self.fuse = fuse
        if fuse:
            cat_channels = sum(widths)
            self.transform = nn.Sequential(
                nn.BatchNorm2d(cat_channels), self.act, nn.Conv2d(cat_channels, out_channels, kernel_size=1)
            )
            self.bn = nn.BatchNorm2d(out_channels)
        self.residual_mode = (
            'none' if not residual else ('identity' if in_channels == out_channels and stride == 1 else 'conv')
        )
        if self.residual_mode == 'conv':
            self.residual = unit_tcn(in_channels, out_channels, kernel_size=1, stride=stride)
        self.out_act = build_act(act)
        self.drop = nn.Dropout(dropout)

    def branch_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The concatenated branch outputs ``(N, sum of widths, T', V)``, the same as
        ``torch.cat([branch(x) for branch in self.branches], 1)``: the 1x1 bottleneck convs of all pooled /
        dilated branches run as one conv (their weights concatenated), their BatchNorms and ReLU as one
        kernel each (see :func:`batch_norm_concat`), so a block launches a few large kernels instead of
        many small ones."""
        heads = [i for i, cfg in enumerate(self.ms_cfg) if cfg != '1x1']
        if len(heads) < 2:
            return torch.cat([branch(x) for branch in self.branches], dim=1)
        convs = [self.branches[i][0] for i in heads]
        norms = [self.branches[i][1] for i in heads]
        weight, bias = torch.cat([c.weight for c in convs]), torch.cat([c.bias for c in convs])
        folded = [eval_bn_affine(bn) for bn in norms]
        if all(f is not None for f in folded):  # eval: the BatchNorms folded into the conv
            affine = torch.cat([f[0] for f in folded]), torch.cat([f[1] for f in folded])
            z = conv_act(convs[0], x, *fold_affine(weight, bias, affine), relu=is_relu(self.act))
            z = z if is_relu(self.act) else self.act(z)
        else:
            z = self.act(batch_norm_concat(F.conv2d(x, weight, bias), norms))
        parts = dict(zip(heads, z.split([c.out_channels for c in convs], dim=1)))
        outs = []
        for i, branch in enumerate(self.branches):
            if i in parts:
                outs.append(branch[3:](parts[i]))
            else:
                outs.append(branch(x))
        return torch.cat(outs, dim=1)

    def fused(self, feat: torch.Tensor) -> torch.Tensor:
        """``bn(transform(feat))``: BN-ReLU-1x1 conv + BN over the concatenated branches (in eval the last BN
        folded into the conv)."""
        norm, act, conv = self.transform
        return conv_bn(conv, self.bn, act(norm(feat)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """What the fusion (or, without ``fuse``, the output) is computed from: :meth:`branch_outputs`."""
        return self.branch_outputs(x)

    def forward_add_relu(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """``relu(self(x) + residual)`` (a block's output); with the fusion conv last (``fuse``, no residual or
        activation of its own), in CPU inference the add and the ReLU are fused into that conv
        (:func:`~pyskl.models.gcns.utils.conv_bn_act`)."""
        if (
            not self.fuse
            or self.residual_mode != 'none'
            or type(self.out_act) is not nn.Identity
            or (self.training and self.drop.p > 0)
        ):
            return F.relu(self(x) + residual)
        norm, act, conv = self.transform
        return conv_bn_act(conv, self.bn, act(norm(self.features(x))), residual, relu=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.features(x)
        if self.fuse:
            feat = self.fused(feat)
        if self.residual_mode == 'identity':
            feat = feat + x
        elif self.residual_mode == 'conv':
            feat = feat + self.residual(x)
        return self.drop(self.out_act(feat))

from contextlib import contextmanager
from typing import Iterator, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

CfgType = Union[str, dict, None]


def _as_cfg(cfg: CfgType) -> Optional[dict]:
    if cfg is None:
        return None
    return dict(type=cfg) if isinstance(cfg, str) else dict(cfg)


def build_norm(cfg: CfgType, num_features: int) -> nn.Module:
    """Normalisation layer from a name (``'BN'``) or an mmcv config dict; None gives Identity."""
    cfg = _as_cfg(cfg)
    if cfg is None:
        return nn.Identity()
    from mmcv.cnn import build_norm_layer

    return build_norm_layer(cfg, num_features)[1]


def build_act(cfg: CfgType) -> nn.Module:
    """Activation layer from a name (``'ReLU'``) or an mmcv config dict; None gives Identity."""
    cfg = _as_cfg(cfg)
    if cfg is None:
        return nn.Identity()
    from mmcv.cnn import build_activation_layer

    return build_activation_layer(cfg)


def is_channels_last(x: torch.Tensor) -> bool:
    """Whether ``x`` ``(N, C, T, V)`` is laid out channels-last (memory ``(N, T, V, C)``) and not also plain
    contiguous (a tensor with ``C == 1`` or ``T * V == 1`` is both; it counts as contiguous)."""
    return x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


def memory_format_of(x: torch.Tensor) -> torch.memory_format:
    """The memory format that reproduces ``x``'s layout: ``torch.channels_last`` for a channels-last tensor (see
    :func:`is_channels_last`), else ``torch.contiguous_format``."""
    return torch.channels_last if is_channels_last(x) else torch.contiguous_format


def _channels_last(grad: torch.Tensor) -> torch.Tensor:
    return grad.contiguous(memory_format=torch.channels_last)


def mean_keepdim(x: torch.Tensor, dim: int) -> torch.Tensor:
    """``x.mean(dim, keepdim=True)`` of features ``(N, C, T, V)``, in ``x``'s memory layout.

    A channels-last ``x`` is reduced as the ``(N, T, V, C)`` tensor its memory holds, and the output is channels-last
    too: torch 2.13's CPU mean over T or V of a channels-last tensor writes a plain-layout output and ran 5-6x
    slower (1.5-1.9 ms against 0.25-0.37 ms at ``(16, 96, 100, 25)`` and ``(16, 384, 25, 25)``, 2 threads). The
    values are the same up to the order of the summation."""
    if not is_channels_last(x):
        return x.mean(dim, keepdim=True)
    return x.permute(0, 2, 3, 1).mean((0, 3, 1, 2)[dim % 4], keepdim=True).permute(0, 3, 1, 2)


def channels_last_grad(x: torch.Tensor) -> torch.Tensor:
    """``x`` itself; if it is a channels-last tensor that requires grad, its gradient is made channels-last too
    (copied only when it is not).

    Some backward formulas build their gradient in the plain layout whatever the forward's (a batched product's
    operand, a mean's expansion, a slice's scatter); every channels-last kernel downstream in the backward
    pass then mixes layouts (a ReLU backward measured 19x slower, convolutions reorder). One copy where such a
    gradient enters keeps the rest of the backward pass in one layout. Values are unchanged.
    """
    if x.requires_grad and is_channels_last(x):
        x.register_hook(_channels_last)
    return x


def kaiming_bn_init_(module: nn.Module) -> None:
    """PYSKL's ``conv_init`` / ``bn_init`` over every submodule: Kaiming-normal (fan-out) ``Conv2d`` weights
    with zero bias, ``BatchNorm2d`` weight 1 and bias 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


@contextmanager
def reference_formulation(model: nn.Module) -> Iterator[nn.Module]:
    """Within this context the units of ``model`` that compute their output in a faster, reordered form
    (``unit_gcn``, ``unit_aagcn``, ``unit_ctrgcn``, ``msg3d_unit``, ``dggcn``: every module with a
    ``reference_formulation`` attribute) compute it as the original code writes it: the same values up to
    rounding, but the original's operations, so an operation counter (``pyskl flops``) gives the published
    multiply-add counts. The previous settings are restored on exit."""
    units = [m for m in model.modules() if hasattr(m, 'reference_formulation')]
    before = [m.reference_formulation for m in units]
    try:
        for m in units:
            m.reference_formulation = True
        yield model
    finally:
        for m, flag in zip(units, before):
            m.reference_formulation = flag


def eval_bn_affine(bn: nn.Module):
    """``(scale, shift)`` with ``bn(y) == y * scale[:, None, None] + shift[:, None, None]`` for a BatchNorm2d in
    eval mode with running statistics (so a preceding linear map can absorb it); None for anything else."""
    if type(bn) is not nn.BatchNorm2d or bn.training or not bn.track_running_stats or bn.running_var is None:
        return None
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.affine:
        scale = scale * bn.weight
        return scale, bn.bias - bn.running_mean * scale
    return scale, -bn.running_mean * scale


def fold_affine(weight: torch.Tensor, bias: Optional[torch.Tensor], affine) -> tuple:
    """Conv ``weight`` ``(C_out, ...)`` and ``bias`` (or None) with a per-output-channel ``(scale, shift)`` applied
    after them (:func:`eval_bn_affine`) folded in: ``(weight * scale, bias * scale + shift)``."""
    scale, shift = affine
    weight = weight * scale.view((-1,) + (1,) * (weight.dim() - 1))
    return weight, (shift if bias is None else bias * scale + shift)


def conv_bn(conv: nn.Conv2d, bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``bn(conv(x))``; for a BatchNorm2d in eval mode (see :func:`eval_bn_affine`) the norm is folded into the
    conv's weight and bias, one pass over the output instead of two (equal up to rounding)."""
    return conv_bn_act(conv, bn, x)


def is_relu(module: nn.Module) -> bool:
    """Whether ``module`` is exactly ``nn.ReLU`` (an activation a fused kernel can apply)."""
    return type(module) is nn.ReLU


def _onednn_fusable(*tensors: torch.Tensor) -> bool:
    """Whether oneDNN's fused convolution kernels (``torch.ops.mkldnn._convolution_pointwise``, the ones
    ``torch.compile`` emits on CPU) may compute a conv with its bias, residual add and ReLU in one pass: float32
    CPU tensors outside autograd (``torch.no_grad`` / ``torch.inference_mode``), no autocast, and not under a
    tracer, scripting or compilation (ONNX export, ``pyskl flops``, ``torch.compile`` see the plain operations)."""
    if torch.is_grad_enabled() or not torch.backends.mkldnn.is_available() or not torch.backends.mkldnn.enabled:
        return False
    if torch.jit.is_tracing() or torch.jit.is_scripting() or torch.compiler.is_compiling():
        return False
    if torch.is_autocast_enabled('cpu') or not hasattr(torch.ops.mkldnn, '_convolution_pointwise'):
        return False
    return all(t.device.type == 'cpu' and t.dtype == torch.float32 for t in tensors)


def _conv_output_size(conv: nn.Conv2d, x: torch.Tensor) -> tuple:
    sizes = [x.size(0), conv.out_channels]
    for i in range(2):
        span = conv.dilation[i] * (conv.kernel_size[i] - 1) + 1
        sizes.append((x.size(2 + i) + 2 * conv.padding[i] - span) // conv.stride[i] + 1)
    return tuple(sizes)


def _fusable_geometry(conv: nn.Conv2d, x: torch.Tensor, residual: Optional[torch.Tensor]) -> bool:
    """A plain zero-padded conv (not TemporalConv2d's subsampled strided 1x1) of a 4-d ``x``, with a ``residual``
    (if any) of its output's shape, both in one memory layout."""
    if isinstance(conv.padding, str) or conv.padding_mode != 'zeros' or x.dim() != 4:
        return False
    if conv.kernel_size == (1, 1) and conv.stride != (1, 1):
        return False
    fmt = memory_format_of(x)
    if not x.is_contiguous(memory_format=fmt):
        return False
    return residual is None or (
        tuple(residual.shape) == _conv_output_size(conv, x) and residual.is_contiguous(memory_format=fmt)
    )


def conv_act(
    conv: nn.Conv2d,
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor],
    residual: Optional[torch.Tensor] = None,
    relu: bool = False,
) -> torch.Tensor:
    """``relu(conv(x) + residual)`` (the add without ``residual``, the ReLU only with ``relu``) for ``conv``'s
    geometry with ``weight`` / ``bias`` (its own or BatchNorm-folded ones): ``x`` ``(N, C_in, T, V)``,
    ``residual`` of the conv's output shape ``(N, C_out, T', V')``.

    In inference on CPU (see :func:`_onednn_fusable`) the add and the ReLU run as post-operations of the
    convolution kernel (one pass over the output instead of up to three; the same values: oneDNN adds the
    residual to the conv's float32 result before the ReLU, as the separate operations do). Elsewhere (training,
    autocast, CUDA, other dtypes, tracing) the plain operations."""
    operands = [x, weight] + [t for t in (bias, residual) if t is not None]
    if (residual is not None or relu) and _onednn_fusable(*operands) and _fusable_geometry(conv, x, residual):
        geometry = (list(conv.padding), list(conv.stride), list(conv.dilation), conv.groups)
        if residual is None:
            return torch.ops.mkldnn._convolution_pointwise(x, weight, bias, *geometry, 'relu', [], '')
        return torch.ops.mkldnn._convolution_pointwise.binary(
            x, residual, weight, bias, *geometry, 'add', None, 'relu' if relu else None, [], ''
        )
    y = conv._conv_forward(x, weight, bias)
    if residual is not None:
        y = y + residual
    return F.relu(y) if relu else y


def conv_bn_act(
    conv: nn.Conv2d, bn: nn.Module, x: torch.Tensor, residual: Optional[torch.Tensor] = None, relu: bool = False
) -> torch.Tensor:
    """``relu(bn(conv(x)) + residual)`` (see :func:`conv_act` for the optional parts); a BatchNorm2d in eval mode
    is folded into the conv's weight and bias (:func:`eval_bn_affine`), and in CPU inference the add and the
    ReLU are fused into the conv (:func:`conv_act`)."""
    folded = eval_bn_affine(bn)
    if folded is None:
        y = bn(conv(x))
        if residual is not None:
            y = y + residual
        return F.relu(y) if relu else y
    return conv_act(conv, x, *fold_affine(conv.weight, conv.bias, folded), residual=residual, relu=relu)


def aggregate_subsets(x: torch.Tensor, A: torch.Tensor, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Graph aggregation over K adjacency subsets as one matrix product.

    ``y[n, c, t, w] = sum_k sum_v x[n, k * C + c, t, v] * A[k, v, w] (+ bias[c, w])``: features
    ``(N, K * C, T, V)``, adjacency ``(K, V, V)`` and an optional ``bias`` ``(C, V)`` -> ``(N, C, T, V)``, the
    same as ``torch.einsum('nkctv,kvw->nctw', x.view(N, K, C, T, V), A) + bias[:, None]``.

    The K subsets are contracted together with the joints, over the combined ``(K * V, V)`` adjacency. The
    output has the memory layout of the input: a channels-last ``x`` (laid out as ``(N, T, V, K * C)``) is read
    as ``(N * T, V * K, C)`` without a copy and the batched product (``bmm`` against the broadcast adjacency) is
    the channels-last output; any other ``x`` is
    copied once to ``(N * C * T, K * V)`` (as ``einsum`` does) and the output is contiguous. On channels-last
    features the bias initialises the product's output (``baddbmm``), no pass of its own.
    """
    n, kc, t, v = x.shape
    k = A.size(0)
    if kc % k:
        raise ValueError(f'aggregate_subsets: {kc} channels are not a multiple of the {k} subsets')
    c = kc // k
    if is_channels_last(x):
        a = A.permute(2, 1, 0).reshape(v, v * k)  # a[w, v * K + k] = A[k, v, w]
        # a batched product with the adjacency broadcast (stride 0): matmul would fold the batch into one mm by
        # copying x to (N * T * C, V * K) and the product back; bmm reads x in place (forward and backward)
        feats = x.permute(0, 2, 3, 1).reshape(n * t, v * k, c)
        if bias is None:
            y = torch.bmm(a.expand(n * t, v, v * k), feats)  # (N * T, W, C)
        else:
            y = torch.baddbmm(bias.t().expand(n * t, v, c), a.expand(n * t, v, v * k), feats)
        return y.view(n, t, v, c).permute(0, 3, 1, 2)
    x = x.reshape(n, k, c * t, v).transpose(1, 2).reshape(n * c * t, k * v)
    y = torch.mm(x, A.reshape(k * v, v)).view(n, c, t, v)
    return y if bias is None else y + bias[:, None, :]


def accumulate_products(
    init: Optional[torch.Tensor], feats: Sequence[torch.Tensor], adjs: Sequence[torch.Tensor]
) -> torch.Tensor:
    """``init + sum_k feats[k] @ adjs[k]`` as K batched products accumulating into one output.

    ``feats[k]`` ``(B, M, V)`` (any strides a batched product reads in place, e.g. the parts of
    ``unbind``), ``adjs[k]`` ``(B, V, W)`` (a stride-0 batch from ``expand`` too), ``init`` broadcastable to
    ``(B, M, W)`` or None; the output is ``(B, M, W)``, contiguous. The first product is written over ``init``
    (``baddbmm``), the others add into it in place (``baddbmm_``: the GEMM's ``beta = 1``), so there is neither a
    ``(K, B, M, W)`` stack of the products nor a pass that sums it, and autograd differentiates it as the sum.
    """
    if len(feats) != len(adjs) or not feats:
        raise ValueError(f'accumulate_products: {len(feats)} feature and {len(adjs)} adjacency operands')
    y = torch.bmm(feats[0], adjs[0]) if init is None else torch.baddbmm(init, feats[0], adjs[0])
    for feat, adj in zip(feats[1:], adjs[1:]):
        # in place, so autocast does not cast: the operands take the output's dtype (bfloat16 under CPU autocast,
        # as the first, out-of-place product got)
        y = y.baddbmm_(feat.to(y.dtype), adj.to(y.dtype))
    return y


def expand_subsets(x: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """Graph aggregation of features ``(N, C, T, V)`` over each of K adjacency subsets ``(K, V, V)``, the K
    results stacked along channels (subset-major): ``(N, K * C, T, V)``, the same as
    ``torch.einsum('nctv,kvw->nkctw', x, A).reshape(N, K * C, T, V)``.

    A channels-last ``x`` (laid out as ``(N * T, V, C)``) gives a channels-last output without a copy: for each
    frame, ``(W * K, V) @ (V, C)`` (``bmm`` against the broadcast adjacency) is the ``(W, K * C)`` block of the
    output. Any other ``x`` goes through ``einsum`` and the output is contiguous.
    """
    n, c, t, v = x.shape
    k = A.size(0)
    if is_channels_last(x):
        a = A.permute(2, 0, 1).reshape(v * k, v)  # a[w * K + k, v] = A[k, v, w]
        y = torch.bmm(a.expand(n * t, v * k, v), x.permute(0, 2, 3, 1).reshape(n * t, v, c))  # (N * T, W * K, C)
        return y.view(n, t, v, k * c).permute(0, 3, 1, 2)
    return torch.einsum('nctv,kvw->nkctw', x, A).reshape(n, k * c, t, v)


def batch_norm_concat(x: torch.Tensor, norms: Sequence[nn.BatchNorm2d]) -> torch.Tensor:
    """``torch.cat([bn(x_i) for x_i, bn in zip(x.split(widths, 1), norms)], 1)`` in one kernel.

    ``x`` ``(N, sum C_i, T, V)``; ``norms`` BatchNorm2d layers of ``C_i`` channels with the same ``eps``,
    ``momentum``, affine / tracking options and mode. Normalisation is per channel, so normalising the
    concatenation equals normalising the parts; in training the parts' running statistics and
    ``num_batches_tracked`` are updated exactly as their own forward would.
    """
    first = norms[0]
    if any(
        type(bn) is not nn.BatchNorm2d
        or bn.eps != first.eps
        or bn.momentum != first.momentum
        or bn.training != first.training
        or bn.affine != first.affine
        or bn.track_running_stats != first.track_running_stats
        for bn in norms
    ):
        return torch.cat(
            [bn(part) for part, bn in zip(x.split([bn.num_features for bn in norms], dim=1), norms)], dim=1
        )
    use_batch_stats = first.training or not first.track_running_stats
    factor = 0.0 if first.momentum is None else first.momentum
    running_mean = running_var = None
    if first.track_running_stats:
        if first.training:
            for bn in norms:
                bn.num_batches_tracked.add_(1)
            if first.momentum is None:  # cumulative moving average, as BatchNorm2d
                factor = 1.0 / float(first.num_batches_tracked)
        running_mean = torch.cat([bn.running_mean for bn in norms])
        running_var = torch.cat([bn.running_var for bn in norms])
    weight = torch.cat([bn.weight for bn in norms]) if first.affine else None
    bias = torch.cat([bn.bias for bn in norms]) if first.affine else None
    y = F.batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats, factor, first.eps)
    if first.track_running_stats and first.training:
        with torch.no_grad():
            for bn, mean, var in zip(
                norms,
                running_mean.split([bn.num_features for bn in norms]),
                running_var.split([bn.num_features for bn in norms]),
            ):
                bn.running_mean.copy_(mean)
                bn.running_var.copy_(var)
    return y

"""Padding persons computed once: the all-zero persons of a batch share one backbone pass per person slot.

The data pipeline pads a sample with fewer than ``M`` persons with all-zero persons (PYSKL's ``FormatGCNInput``);
on NTU RGB+D 49 of the 60 actions have one person, so close to half of a batch's ``N * M`` person instances can be
padding. Every operation of a GCN backbone's blocks maps each instance on its own except BatchNorm with batch
statistics, and ``data_bn`` gives the same output for every all-zero instance of a slot ``m``; so each slot's
padding instances have the same features, and computing one of them and copying it gives the full batch's values:

- in inference (BatchNorm with running statistics) that is all there is to it;
- in training, BatchNorm's batch statistics must count each computed instance as often as it occurs: while the
  blocks run on the kept instances, every ``F.batch_norm`` call with batch statistics is computed by
  :class:`_WeightedBatchNorm` with the instances' multiplicities (mean, variance, running statistics and the
  gradient of the full batch). The gradient of a shared instance is the sum of its copies' gradients (the
  ``index_select`` that copies it back), so every parameter's gradient is the full batch's.

Values agree with computing every instance to the rounding of a different summation order
(``tests/models/test_empty_persons.py``).
"""

from contextlib import nullcontext
from typing import Any, Callable, Iterable, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd.function import once_differentiable
from torch.overrides import TorchFunctionMode

from ..gcns.utils import is_channels_last

#: BatchNorm types whose training forward is ``F.batch_norm`` on the local batch (SyncBatchNorm is not)
_LOCAL_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _instance_sum(t: torch.Tensor) -> torch.Tensor:
    """``(U, C, *S) -> (U, C)``: the sum over the non-batch, non-channel dims."""
    return t.sum(tuple(range(2, t.dim()))) if t.dim() > 2 else t


class _WeightedBatchNorm(torch.autograd.Function):
    """``F.batch_norm(x[index], ..., training=True)[inverse]`` without repeating instances: ``x`` ``(U, C, *S)``
    holds the distinct instances, ``counts`` ``(U,)`` how often each occurs in the full batch. Mean, biased
    variance (normalisation), unbiased variance (running statistics) and the input gradient are the full batch's;
    the gradient that reaches ``x[i]`` is the sum of its copies' gradients. Half-precision inputs are computed in
    float32 and returned in their dtype."""

    @staticmethod
    def forward(ctx, x, counts, total, weight, bias, running_mean, running_var, momentum, eps):
        xs = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        shape = (1, -1) + (1,) * (x.dim() - 2)
        w = counts.to(xs.dtype)[:, None]
        n = total * xs[0, 0].numel()  # elements per channel in the full batch (a number: no device sync)
        mean = (w * _instance_sum(xs)).sum(0) / n
        centred = xs - mean.view(shape)
        var = (w * _instance_sum(centred * centred)).sum(0) / n
        invstd = torch.rsqrt(var + eps)
        if running_mean is not None:
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype), alpha=momentum)
                unbiased = var * n / (n - 1) if n > 1 else var
                running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype), alpha=momentum)
        scale = invstd if weight is None else invstd * weight
        shift = torch.zeros_like(scale) if bias is None else bias
        y = torch.addcmul(shift.to(xs.dtype).view(shape), centred, scale.to(xs.dtype).view(shape))
        ctx.save_for_backward(centred, counts, invstd, weight)
        ctx.n = n
        ctx.has_bias = bias is not None
        ctx.in_dtype = x.dtype
        return y.to(x.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        centred, counts, invstd, weight = ctx.saved_tensors
        g = grad.to(centred.dtype)
        shape = (1, -1) + (1,) * (g.dim() - 2)
        w = counts.to(g.dtype)[:, None]
        n = ctx.n
        sum_g = _instance_sum(g).sum(0)  # (C,): the copies' gradients are already summed into g
        sum_g_xhat = _instance_sum(g * centred).sum(0) * invstd
        scale = invstd if weight is None else invstd * weight
        # the full batch's dx_j = scale * (g_j - mean(g) - xhat_j * mean(g * xhat)), summed over the copies of i:
        # dx_i = scale * g_i + counts_i * (centred_i * b + c)
        b = -scale * invstd * sum_g_xhat / n
        c = -scale * sum_g / n
        per_instance = (g.size(0), -1) + (1,) * (g.dim() - 2)
        dx = torch.addcmul((w * c).view(per_instance), g, scale.view(shape))
        dx.addcmul_(centred, (w * b).view(per_instance))
        grad_weight = sum_g_xhat if weight is not None and ctx.needs_input_grad[3] else None
        grad_bias = sum_g if ctx.has_bias and ctx.needs_input_grad[4] else None
        return dx.to(ctx.in_dtype), None, None, grad_weight, grad_bias, None, None, None, None


def _batch_norm_args(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
) -> tuple:
    return input, running_mean, running_var, weight, bias, training, momentum, eps


class _InstanceCounts(TorchFunctionMode):
    """While active, ``F.batch_norm`` with batch statistics weights the batch's instances by ``persons.counts``."""

    def __init__(self, persons: 'EmptyPersons'):
        super().__init__()
        self.counts = persons.counts
        self.total = persons.inverse.numel()  # N * M, a number (summing counts would sync a device)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not F.batch_norm:
            return func(*args, **kwargs)
        x, running_mean, running_var, weight, bias, training, momentum, eps = _batch_norm_args(*args, **kwargs)
        if not training:
            return func(*args, **kwargs)
        if x.size(0) != self.counts.numel():
            raise RuntimeError(
                f'batch norm over a batch of {x.size(0)} while the backbone computes {self.counts.numel()} person '
                'instances: a unit that regroups the batch cannot share padding persons in training '
                '(set model.backbone.share_empty_persons=False)'
            )
        return _WeightedBatchNorm.apply(
            x, self.counts, self.total, weight, bias, running_mean, running_var, momentum, eps
        )


class EmptyPersons:
    """The all-zero (padding) persons of an ``(N, M, T, V, C)`` input computed once per person slot.

    :meth:`plan` gives ``None`` (compute every instance) when the input requires a gradient (each padding
    person's own is wanted then), under a jit trace or ``torch.compile`` (data-dependent shapes: ONNX export,
    FLOP counting), for an empty input, when no slot has two padding persons, and in training when the blocks
    hold a dropout (copies would share its mask) or a BatchNorm other than ``BatchNorm1d/2d/3d`` (SyncBatchNorm's
    statistics are not the local batch's).
    """

    def __init__(self, keep: torch.Tensor, inverse: torch.Tensor, counts: torch.Tensor, batch_stats: bool):
        self.keep = keep  # (U,) instance indices (n * M + m) to compute
        self.inverse = inverse  # (N * M,) index of each instance's features among the computed ones
        self.counts = counts  # (U,) how many instances each computed one stands for
        self.batch_stats = batch_stats  # whether a BatchNorm in the blocks uses batch statistics

    @classmethod
    def plan(
        cls, module: nn.Module, x: torch.Tensor, blocks: Optional[Iterable[nn.Module]] = None
    ) -> Optional['EmptyPersons']:
        """For ``module`` (a backbone) about to map ``x`` ``(N, M, T, V, C)`` through ``blocks`` (default:
        every child of ``module`` but ``data_bn``, which sees the full batch)."""
        if x.requires_grad or torch.jit.is_tracing() or torch.jit.is_scripting() or torch.compiler.is_compiling():
            return None
        if x.numel() == 0 or not getattr(module, 'share_empty_persons', True):
            return None  # an empty input is the model's to refuse
        if blocks is None:
            blocks = [child for name, child in module.named_children() if name != 'data_bn']
        batch_stats = _batch_statistics(blocks)
        if batch_stats is None:
            return None
        N, M = x.shape[:2]
        empty = (x.reshape(N * M, -1) == 0).all(dim=1).cpu()  # NaN is not zero: such an instance is computed
        index = torch.arange(N * M)
        slot = index % M
        first = {}  # slot -> its first all-zero instance
        for i in index[empty].tolist():
            first.setdefault(i % M, i)
        if int(empty.sum()) == len(first):
            return None  # at most one padding person per slot: nothing to skip
        source = index.clone()
        for m, i in first.items():
            source[empty & (slot == m)] = i
        keep, inverse, counts = torch.unique(source, return_inverse=True, return_counts=True)
        return cls(keep.to(x.device), inverse.to(x.device), counts.to(x.device), batch_stats)

    def select(self, x: torch.Tensor) -> torch.Tensor:
        """The kept instances of ``x`` ``(N * M, C, T, V)``, in ``x``'s memory layout."""
        y = x.index_select(0, self.keep)
        return y.contiguous(memory_format=torch.channels_last) if is_channels_last(x) else y

    def expand(self, y: torch.Tensor) -> torch.Tensor:
        """``(U, ...)`` features of the kept instances -> ``(N * M, ...)``."""
        return y.index_select(0, self.inverse)


def _batch_statistics(blocks: Iterable[nn.Module]) -> Optional[bool]:
    """Whether a BatchNorm in ``blocks`` uses batch statistics (training, or no running statistics); None when
    copies of an instance through ``blocks`` would not be exact: an active dropout (copies would share its mask)
    or a BatchNorm with batch statistics that is not a local one (:class:`_InstanceCounts` weights those)."""
    batch_stats = False
    for block in blocks:
        for m in block.modules():
            if m.training and isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0:
                return None
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and (m.training or not m.track_running_stats):
                if type(m) not in _LOCAL_BN:
                    return None
                batch_stats = True
    return batch_stats


def forward_instances(
    backbone: nn.Module,
    x: torch.Tensor,
    body: Callable[[torch.Tensor], Any],
    blocks: Optional[Iterable[nn.Module]] = None,
) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
    """``body(backbone.data_bn(x))`` for ``x`` ``(N, M, T, V, C)``: ``body`` maps the ``(N * M, C, T, V)`` person
    instances through the modules ``blocks`` (default: ``backbone``'s children but ``data_bn``) to a tensor (or a
    tuple of tensors) with the instances first. Each slot's padding persons are computed once
    (:class:`EmptyPersons`) and the result is expanded back to ``N * M`` instances; BatchNorms with batch
    statistics count the copies."""
    persons = EmptyPersons.plan(backbone, x, blocks)
    x = backbone.data_bn(x)
    if persons is None:
        return body(x)
    # with running statistics every instance is mapped on its own; batch statistics must count the copies
    with _InstanceCounts(persons) if persons.batch_stats else nullcontext():
        out = body(persons.select(x))
    return tuple(persons.expand(o) for o in out) if isinstance(out, tuple) else persons.expand(out)

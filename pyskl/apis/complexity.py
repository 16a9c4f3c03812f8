"""Parameter and FLOP counts of a recognizer's ``backbone + cls_head`` (used by ``tools/analysis/get_flops.py``).

FLOPs are counted by tracing the model with mmengine's jit-based :class:`mmengine.analysis.FlopAnalyzer`:
one FLOP per multiply-add of convolutions, linear layers, ``matmul`` / ``bmm`` and ``einsum`` (the graph
aggregations), for the whole input (every person). Normalisation layers are left out by default (at
inference BatchNorm folds into the preceding convolution); this reproduces the reference figures of
PYSKL's models exactly (e.g. ST-GCN 5.698, ST-GCN++ 2.925, AAGCN 6.473 GFLOPs on ``(1, 2, 100, 25, 3)``).
``include_norm=True`` adds them (2 per element for an affine BatchNorm), as MMAction2's published
figures do (ST-GCN 5.71, ST-GCN++ 2.96).
"""

import math
from collections import Counter
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.config import Config

from pyskl.models.gcns.utils import reference_formulation

NORM_OPS = ('aten::batch_norm', 'aten::group_norm', 'aten::layer_norm', 'aten::instance_norm')


def _no_flops(inputs, outputs) -> Counter:
    return Counter()


def _matmul_flops(inputs, outputs) -> Counter:
    """Multiply-adds of ``aten::matmul`` with broadcasting: the output's elements times the contracted size.
    (mmengine's handle multiplies the first operand's elements by the last dimension, which undercounts a 2D x 3D
    product such as the graph aggregation's ``(V, V * K) @ (N * T, V * K, C)`` by the batch size.)"""
    from mmengine.analysis.jit_handles import get_shape

    a = get_shape(inputs[0])
    out = get_shape(outputs[0])
    n = 1
    for d in out:
        n *= d
    return Counter({'matmul': n * a[-1]})


class _BackboneHead(nn.Module):
    """``cls_head(backbone(x))``: ``(N, M, T, V, C) -> (N, K)``. A backbone's extra outputs (ProtoGCN's graph)
    are returned too, so that the trace keeps (and counts) the branch computing them."""

    def __init__(self, backbone: nn.Module, cls_head: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.cls_head = cls_head

    def forward(self, x: torch.Tensor):
        out = self.backbone(x)
        if isinstance(out, tuple):
            return (self.cls_head(out[0]),) + tuple(out[1:])
        return self.cls_head(out)


def count_params(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameter elements of ``module``; shared parameters count once."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def get_model_complexity(model: nn.Module, shape: Sequence[int], include_norm: bool = False) -> dict:
    """Trainable parameters and FLOPs of ``model.backbone`` + ``model.cls_head`` on a zero input.

    Args:
        model (nn.Module): A recognizer with ``backbone`` and ``cls_head``.
        shape (sequence[int]): Input shape ``(N, M, T, V, C)``.
        include_norm (bool): Also count normalisation layers. Defaults to False.

    Returns:
        dict: ``params`` (int, trainable elements), ``flops`` (float, multiply-adds),
        ``by_operator`` (dict op name -> flops), ``shape`` (tuple).
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 5 or min(shape) < 1:
        raise ValueError(f'shape must be 5 positive ints (N, M, T, V, C), got {shape}')
    for name in ('backbone', 'cls_head'):
        if not isinstance(getattr(model, name, None), nn.Module):
            raise ValueError(f'model has no {name!r} module; expected a recognizer (backbone + cls_head)')
    net = _BackboneHead(model.backbone, model.cls_head)
    was_training = net.training
    param = next(iter(net.parameters()), None)
    x = torch.zeros(shape, device=param.device if param is not None else 'cpu')
    net.eval()
    try:
        # the published counts: the units' original formulation (same values, the original's operations)
        with reference_formulation(net):
            flops, by_operator = _count(net, x, include_norm)
    finally:
        net.train(was_training)
    return dict(params=count_params(net), flops=flops, by_operator=by_operator, shape=shape)


def _count(net: nn.Module, x: torch.Tensor, include_norm: bool):
    """mmengine's FlopAnalyzer total and per-operator counts of ``net(x)`` (norms only with ``include_norm``)."""
    from mmengine.analysis import FlopAnalyzer

    analyzer = FlopAnalyzer(net, (x,))
    if not include_norm:
        # a None handle only marks an op as ignored when it has no handle: replace the handle instead
        analyzer.set_op_handle(**{op: _no_flops for op in NORM_OPS})
    analyzer.set_op_handle('aten::matmul', _matmul_flops)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    flops = float(analyzer.total())
    by_operator = {k: float(v) for k, v in analyzer.by_operator().items() if v}
    return flops, by_operator


#: Largest input counted (N * M * T * V * C; 100 clips of (2, 300, 25, 3) are 4.5M).
MAX_INPUT_ELEMENTS = 50_000_000


def default_input_shape(cfg) -> tuple:
    """``(1, 2, 100, V, C)``: V from ``model.backbone.graph_cfg.layout``, C from ``model.backbone.in_channels``
    (3 when unset) of a loaded config."""
    from pyskl.core.layout import get_layout

    backbone = cfg.model.get('backbone', {})
    graph_cfg = backbone.get('graph_cfg')
    if not graph_cfg or 'layout' not in graph_cfg:
        raise ValueError('the config has no model.backbone.graph_cfg.layout to take V from; pass the shape')
    return (1, 2, 100, get_layout(graph_cfg['layout']).num_node, int(backbone.get('in_channels', 3)))


def get_flops(
    config: Union[str, Config],
    shape: Optional[Sequence[int]] = None,
    include_norm: bool = False,
    cfg_options: Optional[dict] = None,
) -> dict:
    """Build the model of ``config`` (fresh weights, CPU) and return :func:`get_model_complexity` of it.

    Args:
        config (str | Config): Config path or loaded config.
        shape (sequence[int] | None): ``(N, M, T, V, C)``; None uses :func:`default_input_shape`.
        include_norm (bool): Also count normalisation layers.
        cfg_options (dict | None): Config overrides.
    """
    from pyskl.apis import init_recognizer

    model = init_recognizer(config, None, device='cpu', cfg_options=cfg_options)
    expected = default_input_shape(model.cfg)
    if shape is None:
        shape = expected
    elif len(shape) == 5 and tuple(shape)[3:] != expected[3:]:  # the data BatchNorm and the graph fix V and C
        raise ValueError(
            f'shape {tuple(shape)}: the model takes V={expected[3]} joints (its layout) and C={expected[4]} '
            f'channels (in_channels); give (N, M, T, {expected[3]}, {expected[4]})'
        )
    if len(shape) == 5 and math.prod(int(s) for s in shape) > MAX_INPUT_ELEMENTS:
        raise ValueError(f'shape {tuple(shape)}: more than {MAX_INPUT_ELEMENTS} input values; FLOPs scale with T')
    return get_model_complexity(model, shape, include_norm=include_norm)

from typing import Optional, Union

import torch
import torch.nn as nn

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


def aggregate_subsets(x: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """Graph aggregation over K adjacency subsets as one matrix product.

    ``y[n, c, t, w] = sum_k sum_v x[n, k * C + c, t, v] * A[k, v, w]``: features ``(N, K * C, T, V)`` and
    adjacency ``(K, V, V)`` -> ``(N, C, T, V)``, the same as
    ``torch.einsum('nkctv,kvw->nctw', x.view(N, K, C, T, V), A)``.

    The K subsets are contracted together with the joints, over the combined ``(K * V, V)`` adjacency. The
    output has the memory layout of the input: a channels-last ``x`` (laid out as ``(N, T, V, K * C)``) is read
    as ``(N * T, V * K, C)`` without a copy and the product is the channels-last output; any other ``x`` is
    copied once to ``(N * C * T, K * V)`` (as ``einsum`` does) and the output is contiguous.
    """
    n, kc, t, v = x.shape
    k = A.size(0)
    if kc % k:
        raise ValueError(f'aggregate_subsets: {kc} channels are not a multiple of the {k} subsets')
    c = kc // k
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        a = A.permute(2, 1, 0).reshape(v, v * k)  # a[w, v * K + k] = A[k, v, w]
        y = torch.matmul(a, x.permute(0, 2, 3, 1).reshape(n * t, v * k, c))  # (N * T, W, C)
        return y.view(n, t, v, c).permute(0, 3, 1, 2)
    x = x.reshape(n, k, c * t, v).transpose(1, 2).reshape(n * c * t, k * v)
    return torch.mm(x, A.reshape(k * v, v)).view(n, c, t, v)

from typing import Optional, Union

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

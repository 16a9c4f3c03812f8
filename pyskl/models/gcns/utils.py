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

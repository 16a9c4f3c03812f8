"""Helpers shared by the backbones."""
import copy
from typing import Any, Dict, List

import torch
import torch.nn as nn


def expand_per_stage(options: Dict[str, Any], num_stages: int) -> List[Dict[str, Any]]:
    """Per-stage copies of ``options``: a tuple of length ``num_stages`` gives one value per stage.

    Lists and scalars are shared by every stage (``ms_cfg`` lists stay lists).
    """
    stages = [copy.deepcopy(options) for _ in range(num_stages)]
    for key, value in options.items():
        if isinstance(value, tuple) and len(value) == num_stages:
            for i in range(num_stages):
                stages[i][key] = value[i]
    return stages


def split_prefixed(options: Dict[str, Any], prefix: str) -> Dict[str, Any]:
    """``{'gcn_adaptive': 'init', 'tcn_type': ...}`` -> ``{'adaptive': 'init'}`` for prefix ``'gcn_'``."""
    return {k[len(prefix):]: v for k, v in options.items() if k.startswith(prefix)}


def _to_gcn_layout(x: torch.Tensor) -> torch.Tensor:
    N, M, V, C, T = x.shape
    return x.permute(0, 1, 3, 4, 2).contiguous().view(N * M, C, T, V)


class DataBN(nn.BatchNorm1d):
    """Input BatchNorm of the GCN backbones, ``(N, M, T, V, C) -> (N * M, C, T, V)``.

    A ``BatchNorm1d`` itself, so its state-dict keys are ``data_bn.weight`` etc. as in released weights.

    Args:
        bn_type (str): ``'VC'`` normalises ``V * C`` channels shared by persons (index ``v * C + c``);
            ``'MVC'`` normalises ``M * V * C`` channels (index ``m * V * C + v * C + c``).
        num_person (int): M (``'MVC'`` only).
        num_joints (int): V.
        in_channels (int): C.
    """

    def __init__(self, bn_type: str, num_person: int, num_joints: int, in_channels: int):
        if bn_type not in ('VC', 'MVC'):
            raise ValueError(f"data_bn_type must be 'VC', 'MVC' or 'none', got {bn_type!r}")
        super().__init__((num_person if bn_type == 'MVC' else 1) * num_joints * in_channels)
        self.bn_type = bn_type
        self.num_person = num_person

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        N, M, T, V, C = x.shape
        if self.bn_type == 'MVC' and M != self.num_person:
            raise ValueError(f"data_bn_type='MVC' was built for {self.num_person} persons, input has M={M}")
        x = x.permute(0, 1, 3, 4, 2).contiguous()  # N, M, V, C, T
        x = super().forward(x.view(N, M * V * C, T) if self.bn_type == 'MVC' else x.view(N * M, V * C, T))
        return _to_gcn_layout(x.view(N, M, V, C, T))


class NoDataBN(nn.Module):
    """``data_bn_type='none'``: only the reshape ``(N, M, T, V, C) -> (N * M, C, T, V)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _to_gcn_layout(x.permute(0, 1, 3, 4, 2))


def build_data_bn(bn_type: str, num_person: int, num_joints: int, in_channels: int) -> nn.Module:
    """:class:`DataBN` for ``'VC'`` / ``'MVC'``, :class:`NoDataBN` for ``'none'``."""
    if bn_type == 'none':
        return NoDataBN()
    return DataBN(bn_type, num_person, num_joints, in_channels)

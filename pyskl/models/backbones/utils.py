"""Helpers shared by the backbones."""

import copy
from typing import Any, Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

from pyskl.core.validation import is_int

from ..gcns.utils import channels_last_grad
from .persons import forward_instances


#: Upper bounds of backbone counts (the zoo's largest: 10 stages, 96 base channels, 3-6 input channels).
COUNT_LIMITS = {'num_stages': 100, 'base_channels': 4096, 'in_channels': 1024}


def check_backbone_args(owner: str, ch_ratio=None, **counts) -> None:
    """Refuse a careless width or schedule with a ValueError naming ``owner``, the argument and the value (rather
    than a torch error from deep inside a conv or a BatchNorm): every ``counts`` value must be a positive int,
    ``ch_ratio`` (when given) a positive number."""
    for name, value in counts.items():
        if not is_int(value) or value < 1:
            raise ValueError(f'{owner}: {name} must be a positive int, got {value!r}')
        if value > COUNT_LIMITS.get(name, 1 << 16):  # a stored config's 10**6 stages or channels: no model fits
            raise ValueError(f'{owner}: {name} must be at most {COUNT_LIMITS.get(name, 1 << 16)}, got {value}')
    if ch_ratio is not None and (isinstance(ch_ratio, bool) or not isinstance(ch_ratio, (int, float)) or ch_ratio <= 0):
        raise ValueError(f'{owner}: ch_ratio must be positive, got {ch_ratio!r}')


def expand_per_stage(options: Dict[str, Any], num_stages: int) -> List[Dict[str, Any]]:
    """Per-stage copies of ``options``: a tuple of length ``num_stages`` gives one value per stage.

    Lists and scalars are shared by every stage. A branch list such as ``tcn_ms_cfg`` (a sequence of
    branch specs) is shared too unless it is a tuple of ``num_stages`` lists. Any other tuple whose length
    is not ``num_stages`` is an error, so a mistyped per-stage option cannot silently reach every stage.
    """
    stages = [copy.deepcopy(options) for _ in range(num_stages)]
    for key, value in options.items():
        if not isinstance(value, tuple):
            continue
        if key.endswith('ms_cfg') and not all(isinstance(v, list) for v in value):
            continue  # one branch spec for every stage
        if len(value) != num_stages:
            raise ValueError(
                f'{key}: a tuple gives one value per stage, so it needs {num_stages} entries; '
                f'got {len(value)} ({value!r}). Use a list for a value shared by all stages.'
            )
        for i in range(num_stages):
            stages[i][key] = value[i]
    return stages


def split_prefixed(options: Dict[str, Any], prefix: str) -> Dict[str, Any]:
    """``{'gcn_adaptive': 'init', 'tcn_type': ...}`` -> ``{'adaptive': 'init'}`` for prefix ``'gcn_'``."""
    return {k[len(prefix) :]: v for k, v in options.items() if k.startswith(prefix)}


def _to_gcn_layout(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """``(N, M, V, C, T)`` (any strides) -> ``(N * M, C, T, V)``, copied at most once.

    ``channels_last``: the result is a channels-last tensor (memory ``(N * M, T, V, C)``, the layout of the raw
    ``(N, M, T, V, C)`` input, so a contiguous input needs no copy); else a contiguous one.
    """
    N, M, V, C, T = x.shape
    if channels_last:
        return x.permute(0, 1, 4, 2, 3).contiguous().view(N * M, T, V, C).permute(0, 3, 1, 2)
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
        channels_last (bool): Output a channels-last tensor (memory ``(N * M, T, V, C)``): the 1x1 convs and the
            graph matmuls of the units then run without layout copies (ST-GCN / ST-GCN++). False (default): a
            contiguous one. Not saved in the state dict; both give the same values.
    """

    def __init__(self, bn_type: str, num_person: int, num_joints: int, in_channels: int, channels_last: bool = False):
        if bn_type not in ('VC', 'MVC'):
            raise ValueError(f"data_bn_type must be 'VC', 'MVC' or 'none', got {bn_type!r}")
        super().__init__((num_person if bn_type == 'MVC' else 1) * num_joints * in_channels)
        self.bn_type = bn_type
        self.num_person = num_person
        self.channels_last = channels_last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        N, M, T, V, C = x.shape
        if self.bn_type == 'MVC' and M != self.num_person:
            raise ValueError(f"data_bn_type='MVC' was built for {self.num_person} persons, input has M={M}")
        x = x.permute(0, 1, 3, 4, 2).contiguous()  # N, M, V, C, T
        x = super().forward(x.view(N, M * V * C, T) if self.bn_type == 'MVC' else x.view(N * M, V * C, T))
        return _to_gcn_layout(x.view(N, M, V, C, T), self.channels_last)


class NoDataBN(nn.Module):
    """``data_bn_type='none'``: only the reshape ``(N, M, T, V, C) -> (N * M, C, T, V)`` (``channels_last``: as
    :class:`DataBN`)."""

    def __init__(self, channels_last: bool = False):
        super().__init__()
        self.channels_last = channels_last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _to_gcn_layout(x.permute(0, 1, 3, 4, 2), self.channels_last)


def build_data_bn(
    bn_type: str, num_person: int, num_joints: int, in_channels: int, channels_last: bool = False
) -> nn.Module:
    """:class:`DataBN` for ``'VC'`` / ``'MVC'``, :class:`NoDataBN` for ``'none'``."""
    if bn_type == 'none':
        return NoDataBN(channels_last)
    return DataBN(bn_type, num_person, num_joints, in_channels, channels_last)


EPS = 1e-4


def build_stages(
    make_block: Callable[[int, int, int, int, bool], nn.Module],
    in_channels: int,
    base_channels: int,
    num_stages: int,
    inflate_stages: Sequence[int],
    down_stages: Sequence[int],
    ch_ratio: float = 2,
    keep_first: bool = False,
) -> Tuple[nn.ModuleList, int]:
    """The ST-GCN stage schedule shared by ST-GCN(++), AAGCN, DG-STGCN and CTR-GCN.

    Stage 1 maps ``in_channels -> base_channels`` without residual (omitted when they are equal, unless
    ``keep_first``, as PYSKL's CTR-GCN);
    stages 2..``num_stages`` multiply the channels by ``ch_ratio`` at each of ``inflate_stages`` and use
    temporal stride 2 at each of ``down_stages`` (1-based).

    Args:
        make_block: ``make_block(stage, c_in, c_out, stride, residual)`` with ``stage`` 0-based.

    Returns:
        tuple[nn.ModuleList, int]: the blocks and the output channels.
    """
    blocks = []
    if in_channels != base_channels or keep_first:
        blocks.append(make_block(0, in_channels, base_channels, 1, False))
    inflate_times = 0
    channels = base_channels
    for i in range(2, num_stages + 1):
        if i in inflate_stages:
            inflate_times += 1
        out_channels = int(base_channels * ch_ratio**inflate_times + EPS)
        blocks.append(make_block(i - 1, channels, out_channels, 1 + (i in down_stages), True))
        channels = out_channels
    return nn.ModuleList(blocks), channels


class StagedGCN(nn.Module):
    """Forward of the stage-stacked backbones: ``data_bn`` then the blocks in ``gcn``.

    Subclasses set ``self.data_bn`` (see :func:`build_data_bn`) and the blocks (see :func:`build_stages`)
    under the attribute named by :attr:`blocks_attr` (``gcn``; ``net`` in PYSKL's CTR-GCN). All-zero padding
    persons are computed once per person slot unless ``self.share_empty_persons`` is False
    (:func:`~.persons.forward_instances`).
    """

    blocks_attr = 'gcn'

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, M, T, V, C) -> (N, M, C_out, T_out, V)``."""
        N, M = x.shape[:2]
        x = forward_instances(self, x, self.forward_blocks, getattr(self, self.blocks_attr))
        x = channels_last_grad(x)  # the head's mean hands back a plain-layout gradient
        return x.reshape((N, M) + x.shape[1:])

    def forward_blocks(self, x: torch.Tensor) -> torch.Tensor:
        """The blocks on ``data_bn``'s output: ``(B, C, T, V) -> (B, C_out, T_out, V)``."""
        for block in getattr(self, self.blocks_attr):
            x = block(x)
        return x

"""AAGCN / AGCN (Shi et al., 2019 / 2020), PYSKL's re-implementation."""

from typing import Optional, Sequence, Union

import torch

from pyskl.registry import MODELS
from ..gcns import STGCNBlock, kaiming_bn_init_
from ..utils.graph import Graph
from .utils import StagedGCN, build_data_bn, build_stages, check_backbone_args, expand_per_stage, split_prefixed


@MODELS.register_module()
class AAGCN(StagedGCN):
    """Attention-enhanced adaptive GCN: ST-GCN blocks whose spatial unit is :class:`unit_aagcn`.

    Input ``(N, M, T, V, C)``, output ``(N, M, C_out, T_out, V)``; with the defaults ``C_out = 4 *
    base_channels`` and ``T_out = ceil(T / 4)``. Each block is ``relu(tcn(unit_aagcn(x)) + residual(x))``
    (9x1 temporal conv; residual: identity, or a strided 1x1 conv + BN when the shape changes; none in the
    first block, which maps ``in_channels`` to ``base_channels`` and only exists when they differ).
    ``gcn_attention=False`` gives AGCN (2s-AGCN).

    Args:
        graph_cfg (dict): :class:`Graph` arguments, e.g. ``dict(layout='nturgb+d', mode='spatial')``.
        in_channels (int): C of the input (3 for 3D joints or 2D joints + score; x len(feats)).
        base_channels (int): Channels of the first stage. Defaults to 64.
        data_bn_type (str | None): Input BatchNorm: ``'MVC'`` (default, ``M * V * C`` channels, the input
            must have ``M == num_person``), ``'VC'``, or ``'none'`` / None.
        num_person (int): M, used by ``data_bn_type='MVC'``. Defaults to 2.
        num_stages (int): Number of blocks. Defaults to 10.
        inflate_stages (sequence[int]): 1-based stages that double the channels. Defaults to (5, 8).
        down_stages (sequence[int]): 1-based stages with temporal stride 2. Defaults to (5, 8).
        gcn_adaptive (bool): Learned + data-dependent adjacency (see :class:`unit_aagcn`).
        gcn_attention (bool): Spatial-temporal-channel attention (AAGCN); False gives AGCN.
        gcn_coff_embedding (int): Embedding width divisor of the data-dependent adjacency. Defaults to 4.
        tcn_type (str): ``'unit_tcn'`` (9x1 conv, default) or ``'mstcn'``.
        tcn_dropout (float): Dropout of the temporal units (not applied in the first stage).
        pretrained (str | None): Accepted for config compatibility; load weights with
            :func:`pyskl.engine.checkpoint.load_checkpoint` instead.
        share_empty_persons (bool): Compute the all-zero padding persons of a batch once per person slot, in
            training and inference, with the full batch's values (see :func:`~.persons.forward_instances`).
            False computes every person. Defaults to True.

    Every ``gcn_*`` / ``tcn_*`` option may be a tuple of length ``num_stages`` to set it per stage.
    The state-dict keys equal PYSKL's: ``A`` (graph buffer), ``data_bn.*``, ``gcn.<i>.gcn.*`` (the
    :class:`unit_aagcn`), ``gcn.<i>.tcn.*``, ``gcn.<i>.residual.*``.
    """

    def __init__(
        self,
        graph_cfg: dict,
        in_channels: int = 3,
        base_channels: int = 64,
        data_bn_type: Optional[str] = 'MVC',
        num_person: int = 2,
        num_stages: int = 10,
        inflate_stages: Sequence[int] = (5, 8),
        down_stages: Sequence[int] = (5, 8),
        gcn_adaptive: Union[bool, tuple] = True,
        gcn_attention: Union[bool, tuple] = True,
        gcn_coff_embedding: Union[int, tuple] = 4,
        tcn_type: Union[str, tuple] = 'unit_tcn',
        tcn_dropout: Union[float, tuple] = 0.0,
        pretrained: Optional[str] = None,
        share_empty_persons: bool = True,
    ):
        super().__init__()
        check_backbone_args(
            type(self).__name__, in_channels=in_channels, base_channels=base_channels, num_stages=num_stages
        )
        self.graph = Graph(**graph_cfg)
        A = torch.tensor(self.graph.A, dtype=torch.float32)
        self.register_buffer('A', A)
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.data_bn_type = 'none' if data_bn_type is None else data_bn_type
        self.num_person = num_person
        self.pretrained = pretrained
        self.share_empty_persons = share_empty_persons
        self.data_bn = build_data_bn(self.data_bn_type, num_person, A.size(1), in_channels)

        options = dict(
            gcn_adaptive=gcn_adaptive,
            gcn_attention=gcn_attention,
            gcn_coff_embedding=gcn_coff_embedding,
            tcn_type=tcn_type,
            tcn_dropout=tcn_dropout,
        )
        stage_opts = expand_per_stage(options, num_stages)
        stage_opts[0]['tcn_dropout'] = 0.0

        def make_block(stage, c_in, c_out, stride, residual):
            opts = stage_opts[stage]
            gcn_cfg = dict(type='unit_aagcn', **split_prefixed(opts, 'gcn_'))
            return STGCNBlock(
                c_in, c_out, A, stride, residual=residual, gcn_cfg=gcn_cfg, tcn_cfg=split_prefixed(opts, 'tcn_')
            )

        self.gcn, self.out_channels = build_stages(
            make_block, in_channels, base_channels, num_stages, inflate_stages, down_stages
        )
        self.init_weights()

    def init_weights(self) -> None:
        """PYSKL's initialisation: :meth:`unit_aagcn.init_weights`, and for the temporal units (and
        residual convs) Kaiming (fan-out) conv weights, zero bias, BN weight 1 / bias 0."""
        for blk in self.gcn:
            blk.gcn.init_weights()
            parts = [blk.tcn] + ([blk.residual] if hasattr(blk, 'residual') else [])
            for part in parts:
                kaiming_bn_init_(part)

"""DG-STGCN (Duan et al., 2022): dynamic group GCN + dynamic multi-branch TCN."""

from typing import Optional, Sequence, Union

import torch

from pyskl.registry import MODELS
from ..gcns import STGCNBlock
from ..utils.graph import Graph
from .utils import StagedGCN, build_data_bn, build_stages, check_backbone_args, expand_per_stage, split_prefixed


@MODELS.register_module()
class DGSTGCN(StagedGCN):
    """DG-STGCN: Dynamic Group Spatio-Temporal GCN.

    Input ``(N, M, T, V, C)``, output ``(N, M, C_out, T_out, V)``. With the defaults (10 stages, channels
    inflated x2 at stages 5 and 8, temporal stride 2 at the same stages) ``C_out = 4 * base_channels``
    and ``T_out = ceil(T / 4)``. The released models use
    ``graph_cfg=dict(layout='nturgb+d', mode='random', num_filter=8, init_off=.04, init_std=.02)`` and
    ``gcn_ratio=0.125``: the graph only initialises the learned per-group affinities.

    Args:
        graph_cfg (dict): :class:`Graph` arguments (``layout``, ``mode``, ``num_filter``, ...).
        in_channels (int): C of the input (3 for 3D joints or 2D joints + score; x len(feats)).
        base_channels (int): Channels of the first stage. Defaults to 64.
        ch_ratio (float): Channel multiplier at each inflate stage.
        num_stages (int): Number of blocks.
        inflate_stages (sequence[int]): 1-based stages whose output channels are multiplied by ``ch_ratio``.
        down_stages (sequence[int]): 1-based stages with temporal stride 2.
        data_bn_type (str): ``'VC'``, ``'MVC'`` or ``'none'`` (see :class:`~.utils.DataBN`).
        num_person (int): M, used by ``data_bn_type='MVC'``.
        gcn_ratio, gcn_ctr, gcn_ada, gcn_subset_wise, gcn_ada_act, gcn_ctr_act, gcn_norm, gcn_act,
            gcn_pool_first, gcn_return_graph: :class:`dggcn` options (``ratio``, ``ctr``, ...).
        tcn_ms_cfg, tcn_mid_channels: :class:`dgmstcn` branch options (None: its defaults).
        tcn_dropout (float): Dropout of the temporal units (not applied in the first stage).
        tcn_num_joints (int | None): Length of the joint-skeleton fusion coefficients; None uses V of the
            layout (PYSKL always used 25, which equals V for ``'nturgb+d'``).
        pretrained (str | None): Accepted for config compatibility; load weights with
            :func:`pyskl.engine.checkpoint.load_checkpoint` instead.
        share_empty_persons (bool): Compute the all-zero padding persons of a batch once per person slot, in
            training and inference, with the full batch's values (see :func:`~.persons.forward_instances`).
            False computes every person. Defaults to True.
        channels_last (bool): Run the blocks on channels-last features (see :class:`~.utils.DataBN`); the
            same values. On by default: the 1x1 convs and BatchNorms run several times faster in that layout
            on CPU, and the units keep it (and keep their gradients in it) through the graph aggregation, the
            joint-skeleton fusion and the strided 1x1 convs (docs/benchmarks.md).

    Every ``gcn_*`` / ``tcn_*`` option may be a tuple of length ``num_stages`` to set it per stage.
    """

    def __init__(
        self,
        graph_cfg: dict,
        in_channels: int = 3,
        base_channels: int = 64,
        ch_ratio: float = 2,
        num_stages: int = 10,
        inflate_stages: Sequence[int] = (5, 8),
        down_stages: Sequence[int] = (5, 8),
        data_bn_type: str = 'VC',
        num_person: int = 2,
        gcn_ratio: Union[float, None, tuple] = 0.25,
        gcn_ctr: Union[str, None, tuple] = 'T',
        gcn_ada: Union[str, None, tuple] = 'T',
        gcn_subset_wise: Union[bool, tuple] = False,
        gcn_ada_act: Union[str, tuple] = 'softmax',
        gcn_ctr_act: Union[str, tuple] = 'tanh',
        gcn_norm='BN',
        gcn_act='ReLU',
        gcn_pool_first: Union[bool, tuple] = True,
        gcn_return_graph: Union[bool, tuple] = False,
        tcn_ms_cfg=None,
        tcn_mid_channels=None,
        tcn_dropout: Union[float, tuple] = 0.0,
        tcn_num_joints: Optional[int] = None,
        pretrained: Optional[str] = None,
        share_empty_persons: bool = True,
        channels_last: bool = True,
    ):
        super().__init__()
        check_backbone_args(
            type(self).__name__, ch_ratio, in_channels=in_channels, base_channels=base_channels, num_stages=num_stages
        )
        self.graph = Graph(**graph_cfg)
        A = torch.tensor(self.graph.A, dtype=torch.float32)
        num_joints = self.graph.num_node
        if A.size(-1) != num_joints:
            raise ValueError(
                f'DGSTGCN: the graph has {A.size(-1)} nodes but layout '
                f'{self.graph.layout.name!r} has {num_joints} joints (nx_node must be 1)'
            )
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.data_bn_type = data_bn_type
        self.pretrained = pretrained
        self.share_empty_persons = share_empty_persons
        self.data_bn = build_data_bn(data_bn_type, num_person, num_joints, in_channels, channels_last)

        options = dict(
            gcn_ratio=gcn_ratio,
            gcn_ctr=gcn_ctr,
            gcn_ada=gcn_ada,
            gcn_subset_wise=gcn_subset_wise,
            gcn_ada_act=gcn_ada_act,
            gcn_ctr_act=gcn_ctr_act,
            gcn_norm=gcn_norm,
            gcn_act=gcn_act,
            gcn_pool_first=gcn_pool_first,
            gcn_return_graph=gcn_return_graph,
            tcn_ms_cfg=tcn_ms_cfg,
            tcn_mid_channels=tcn_mid_channels,
            tcn_dropout=tcn_dropout,
            tcn_num_joints=num_joints if tcn_num_joints is None else tcn_num_joints,
        )
        stage_opts = expand_per_stage(options, num_stages)
        stage_opts[0]['tcn_dropout'] = 0.0

        def block_cfgs(opts):
            tcn_cfg = split_prefixed(opts, 'tcn_')
            if tcn_cfg['ms_cfg'] is None:
                tcn_cfg.pop('ms_cfg')
            return split_prefixed(opts, 'gcn_'), tcn_cfg

        def make_block(stage, c_in, c_out, stride, residual):
            gcn_cfg, tcn_cfg = block_cfgs(stage_opts[stage])
            return STGCNBlock(
                c_in,
                c_out,
                A,
                stride,
                residual=residual,
                gcn_cfg=dict(type='dggcn', **gcn_cfg),
                tcn_cfg=dict(type='dgmstcn', **tcn_cfg),
            )

        self.gcn, self.out_channels = build_stages(
            make_block, in_channels, base_channels, num_stages, inflate_stages, down_stages, ch_ratio
        )

"""ST-GCN and ST-GCN++ (one backbone, configured by arguments)."""

from typing import Optional, Sequence, Union

import torch

from pyskl.registry import MODELS
from ..gcns import STGCNBlock
from ..utils.graph import Graph
from .utils import StagedGCN, build_data_bn, build_stages, check_backbone_args, expand_per_stage, split_prefixed


@MODELS.register_module()
class STGCN(StagedGCN):
    """ST-GCN (Yan et al., 2018) and ST-GCN++ (PYSKL, 2022).

    Input ``(N, M, T, V, C)``, output ``(N, M, C_out, T_out, V)``. With the defaults (10 stages, channels
    inflated x2 at stages 5 and 8, temporal stride 2 at the same stages) ``C_out = 4 * base_channels``
    and ``T_out = ceil(T / 4)``.

    ST-GCN: ``graph_cfg=dict(layout=..., mode='stgcn_spatial')`` (defaults: importance-weighted
    adjacency, 9x1 temporal conv). ST-GCN++: ``gcn_adaptive='init', gcn_with_res=True, tcn_type='mstcn'``
    with ``mode='spatial'``.

    Args:
        graph_cfg (dict): :class:`Graph` arguments (``layout``, ``mode``, ...).
        in_channels (int): C of the input (3 for 3D joints or 2D joints + score; x len(feats)).
        base_channels (int): Channels of the first stage. Defaults to 64.
        data_bn_type (str): ``'VC'``, ``'MVC'`` or ``'none'`` (see :class:`DataBN`).
        ch_ratio (float): Channel multiplier at each inflate stage.
        num_person (int): M, used by ``data_bn_type='MVC'``.
        num_stages (int): Number of ST-GCN blocks.
        inflate_stages (sequence[int]): 1-based stages whose output channels are multiplied by ``ch_ratio``.
        down_stages (sequence[int]): 1-based stages with temporal stride 2.
        gcn_adaptive, gcn_conv_pos, gcn_with_res, gcn_norm, gcn_act: :class:`unit_gcn` options.
        tcn_type (str): ``'unit_tcn'`` or ``'mstcn'``.
        tcn_dropout (float): Dropout of the temporal units (not applied in the first stage).
        tcn_ms_cfg, tcn_mid_channels: :class:`mstcn` options (``tcn_type='mstcn'``).
        tcn_kernel_size (int): Kernel of ``unit_tcn`` (``tcn_type='unit_tcn'``). Defaults to 9.
        pretrained (str | None): Accepted for config compatibility; load weights with
            :func:`pyskl.engine.checkpoint.load_checkpoint` instead.
        share_empty_persons (bool): Compute the all-zero padding persons of a batch once per person slot, in
            training and inference, with the full batch's values (see :func:`~.persons.forward_instances`).
            False computes every person. Defaults to True.
        channels_last (bool): Run the blocks on channels-last features (see :class:`DataBN`): the 1x1 convs
            and the graph matmuls then need no layout copies. Same values and state dict either way.
            Defaults to True.

    Every ``gcn_*`` / ``tcn_*`` option may be a tuple of length ``num_stages`` to set it per stage.
    """

    def __init__(
        self,
        graph_cfg: dict,
        in_channels: int = 3,
        base_channels: int = 64,
        data_bn_type: str = 'VC',
        ch_ratio: float = 2,
        num_person: int = 2,
        num_stages: int = 10,
        inflate_stages: Sequence[int] = (5, 8),
        down_stages: Sequence[int] = (5, 8),
        gcn_adaptive: Union[str, None, tuple] = 'importance',
        gcn_conv_pos: Union[str, tuple] = 'pre',
        gcn_with_res: Union[bool, tuple] = False,
        gcn_norm='BN',
        gcn_act='ReLU',
        tcn_type: Union[str, tuple] = 'unit_tcn',
        tcn_dropout: Union[float, tuple] = 0.0,
        tcn_ms_cfg=None,
        tcn_mid_channels=None,
        tcn_kernel_size: Union[int, tuple] = 9,
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
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.data_bn_type = data_bn_type
        self.pretrained = pretrained
        self.share_empty_persons = share_empty_persons
        self.data_bn = build_data_bn(data_bn_type, num_person, A.size(1), in_channels, channels_last)

        options = dict(
            gcn_adaptive=gcn_adaptive,
            gcn_conv_pos=gcn_conv_pos,
            gcn_with_res=gcn_with_res,
            gcn_norm=gcn_norm,
            gcn_act=gcn_act,
            tcn_type=tcn_type,
            tcn_dropout=tcn_dropout,
            tcn_ms_cfg=tcn_ms_cfg,
            tcn_mid_channels=tcn_mid_channels,
            tcn_kernel_size=tcn_kernel_size,
        )
        stage_opts = expand_per_stage(options, num_stages)
        stage_opts[0]['tcn_dropout'] = 0.0

        def block_cfgs(opts):
            gcn_cfg = split_prefixed(opts, 'gcn_')
            tcn_cfg = split_prefixed(opts, 'tcn_')
            if tcn_cfg['type'] == 'mstcn':
                tcn_cfg.pop('kernel_size')
                for k in ('ms_cfg', 'mid_channels'):
                    if tcn_cfg[k] is None:
                        tcn_cfg.pop(k)
            else:
                for k in ('ms_cfg', 'mid_channels'):
                    if tcn_cfg.pop(k) is not None:
                        raise ValueError(f"tcn_{k} is only valid with tcn_type='mstcn'")
            return gcn_cfg, tcn_cfg

        def make_block(stage, c_in, c_out, stride, residual):
            gcn_cfg, tcn_cfg = block_cfgs(stage_opts[stage])
            return STGCNBlock(c_in, c_out, A, stride, residual=residual, gcn_cfg=gcn_cfg, tcn_cfg=tcn_cfg)

        self.gcn, self.out_channels = build_stages(
            make_block, in_channels, base_channels, num_stages, inflate_stages, down_stages, ch_ratio
        )

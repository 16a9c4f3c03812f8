"""CTR-GCN (Chen et al., ICCV 2021), PYSKL's re-implementation."""

from typing import Optional, Sequence

import torch

from pyskl.registry import MODELS
from ..gcns import STGCNBlock, kaiming_bn_init_
from ..utils.graph import Graph
from .utils import StagedGCN, build_data_bn, build_stages, check_backbone_args


@MODELS.register_module()
class CTRGCN(StagedGCN):
    """Channel-wise topology refinement GCN: ST-GCN blocks whose spatial unit is :class:`unit_ctrgcn` and
    whose temporal unit is MS-G3D's 4-branch :class:`mstcn` (two ``kernel_size x 1`` convs with dilations
    ``dilations`` and a 3x1 max-pool, each after a 1x1 bottleneck, and a strided 1x1 conv; concatenated
    without fusion, then ReLU).

    Input ``(N, M, T, V, C)``, output ``(N, M, C_out, T_out, V)``; with the defaults ``C_out = 4 *
    base_channels`` and ``T_out = ceil(T / 4)``. The first block (no residual) always exists, as in PYSKL.
    Released models use ``graph_cfg=dict(layout=..., mode='spatial')``. State-dict keys as PYSKL's
    (loading its released checkpoints needs no conversion): ``A`` (graph buffer), ``data_bn.*`` (over
    ``M * V * C`` channels), ``net.<i>.gcn1.*``, ``net.<i>.tcn1.*``, ``net.<i>.residual.*``.

    Args:
        graph_cfg (dict): :class:`Graph` arguments, e.g. ``dict(layout='nturgb+d', mode='spatial')``.
        in_channels (int): C of the input (3 for 3D joints or 2D joints + score; x len(feats)).
        base_channels (int): Channels of the first stage. Defaults to 64.
        num_stages (int): Number of blocks. Defaults to 10.
        inflate_stages (sequence[int]): 1-based stages that double the channels. Defaults to (5, 8).
        down_stages (sequence[int]): 1-based stages with temporal stride 2. Defaults to (5, 8).
        num_person (int): M of the input; the data BatchNorm has ``M * V * C`` channels. Defaults to 2.
        data_bn_type (str): ``'MVC'`` (PYSKL), ``'VC'`` or ``'none'`` (see :class:`~.utils.DataBN`).
        tcn_kernel_size (int): Kernel of the dilated temporal branches. Defaults to 5.
        tcn_dilations (sequence[int]): Dilations of those branches. Defaults to (1, 2).
        tcn_dropout (float): Dropout after the temporal unit (not in the first block). Defaults to 0.
        pretrained (str | None): Accepted for config compatibility; load weights with
            :func:`pyskl.engine.checkpoint.load_checkpoint` instead.
        share_empty_persons (bool): Compute the all-zero padding persons of a batch once per person slot, in
            training and inference, with the full batch's values (see :func:`~.persons.forward_instances`).
            False computes every person. Defaults to True.
    """

    blocks_attr = 'net'

    def __init__(
        self,
        graph_cfg: dict,
        in_channels: int = 3,
        base_channels: int = 64,
        num_stages: int = 10,
        inflate_stages: Sequence[int] = (5, 8),
        down_stages: Sequence[int] = (5, 8),
        num_person: int = 2,
        data_bn_type: str = 'MVC',
        tcn_kernel_size: int = 5,
        tcn_dilations: Sequence[int] = (1, 2),
        tcn_dropout: float = 0.0,
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
        self.num_person = num_person
        self.data_bn_type = data_bn_type
        self.pretrained = pretrained
        self.share_empty_persons = share_empty_persons
        self.data_bn = build_data_bn(data_bn_type, num_person, A.size(1), in_channels)
        ms_cfg = [(tcn_kernel_size, d) for d in tcn_dilations] + [('max', 3), '1x1']

        def make_block(stage, c_in, c_out, stride, residual):
            tcn_cfg = dict(
                type='mstcn',
                ms_cfg=ms_cfg,
                fuse=False,
                branch_norm=True,
                remainder='last',
                act='ReLU',
                dropout=tcn_dropout if stage else 0.0,
            )
            return STGCNBlock(
                c_in,
                c_out,
                A,
                stride,
                residual=residual,
                gcn_cfg=dict(type='unit_ctrgcn'),
                tcn_cfg=tcn_cfg,
                unit_names=('gcn1', 'tcn1'),
            )

        self.net, self.out_channels = build_stages(
            make_block, in_channels, base_channels, num_stages, inflate_stages, down_stages, keep_first=True
        )
        for blk in self.net:
            kaiming_bn_init_(blk.tcn1)

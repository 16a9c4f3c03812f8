"""ProtoGCN's head: :class:`GCNHead` plus the class-specific contrastive loss on the backbone's graph."""

from typing import Optional, Union

import torch

from pyskl.registry import MODELS
from ..losses import ClassSpecificContrastiveLoss
from pyskl.core.layout import get_layout
from .gcn_head import GCNHead


@MODELS.register_module()
class SimpleHead(GCNHead):
    """ProtoGCN's classification head (the original's name and keys).

    Scores as :class:`GCNHead` (pool over ``(T, V)``, mean over persons, ``fc_cls``); accepts the backbone's
    ``(feat, graph)`` tuple as well as ``feat``. Training loss ``loss_cls = CE(scores, y) + weight *
    CSC(graph, y, scores)`` (:class:`ClassSpecificContrastiveLoss`, key ``csc_loss``; the two terms are also
    logged as ``ce`` and ``csc``).

    Args:
        num_classes (int): K.
        in_channels (int): C of the backbone features. Defaults to 384.
        joint_cfg (str): Skeleton layout of the graph (V joints; the graph vector has ``V * V`` entries).
        weight (float): Weight of the contrastive term. Defaults to 0.2.
        loss_cls, dropout, init_std, average_clips: as :class:`GCNHead`.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 384,
        joint_cfg: str = 'nturgb+d',
        weight: float = 0.2,
        loss_cls: Optional[dict] = None,
        dropout: float = 0.0,
        init_std: float = 0.01,
        average_clips: Optional[str] = 'prob',
    ):
        super().__init__(
            num_classes, in_channels, loss_cls=loss_cls, dropout=dropout, init_std=init_std, average_clips=average_clips
        )
        self.joint_cfg = joint_cfg
        self.weight = weight
        V = get_layout(joint_cfg).num_node
        self.csc_loss = ClassSpecificContrastiveLoss(V * V, num_classes)

    def forward(self, x: Union[torch.Tensor, tuple]) -> torch.Tensor:
        """``(N, M, C, T, V)`` features (or ``(feat, graph)``) -> ``(N, K)``."""
        return super().forward(x[0] if isinstance(x, tuple) else x)

    def loss(self, cls_score: torch.Tensor, labels: torch.Tensor, graph: Optional[torch.Tensor] = None) -> dict:
        """``loss_cls`` (CE + weight * CSC), the terms ``ce`` / ``csc`` and ``top1_acc``; ``graph`` ``(N, V * V)``."""
        if graph is None:
            raise ValueError('SimpleHead.loss needs the graph output of the backbone (ProtoGCN)')
        losses = super().loss(cls_score, labels)
        csc = self.csc_loss(graph, labels, cls_score.detach())
        losses['ce'] = losses['loss_cls'].detach()
        losses['csc'] = csc.detach()
        losses['loss_cls'] = losses['loss_cls'] + self.weight * csc
        return losses

import torch
import torch.nn as nn
import torch.nn.functional as F

from pyskl.registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross-entropy on class scores ``(N, K)`` and integer labels ``(N,)``.

    Args:
        loss_weight (float): Multiplier of the loss.
        label_smoothing (float): As in :func:`torch.nn.functional.cross_entropy`.
        class_weight (list[float] | None): Per-class weights ``(K,)``.
    """

    def __init__(self, loss_weight: float = 1.0, label_smoothing: float = 0.0, class_weight=None):
        super().__init__()
        self.loss_weight = loss_weight
        self.label_smoothing = label_smoothing
        self.register_buffer('class_weight', None if class_weight is None else torch.tensor(class_weight),
                             persistent=False)

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(cls_score, label, weight=self.class_weight, label_smoothing=self.label_smoothing)
        return loss * self.loss_weight

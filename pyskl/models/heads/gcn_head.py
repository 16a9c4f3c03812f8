from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from pyskl.core.validation import is_int
from pyskl.registry import MODELS


@MODELS.register_module()
class GCNHead(nn.Module):
    """Classification head of the GCN backbones.

    ``(N, M, C, T, V)`` -> average-pool over ``(T, V)`` -> mean over persons -> dropout -> ``fc_cls`` ->
    class scores ``(N, K)``.

    Args:
        num_classes (int): K.
        in_channels (int): C of the backbone output.
        loss_cls (dict): Loss config. Defaults to ``dict(type='CrossEntropyLoss')``.
        dropout (float): Dropout before the classifier.
        init_std (float): Std of the classifier's normal init (bias 0).
        average_clips (str | None): How :meth:`average_clips` combines the scores of several test clips:
            ``'prob'`` (softmax, then mean; default), ``'score'`` (mean of logits) or None (mean of
            logits, as ``'score'``).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        loss_cls: Optional[dict] = None,
        dropout: float = 0.0,
        init_std: float = 0.01,
        average_clips: Optional[str] = 'prob',
    ):
        super().__init__()
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if not is_int(value) or value < 1:
                raise ValueError(f'{type(self).__name__}: {name} must be a positive int, got {value!r}')
        if average_clips not in ('prob', 'score', None):
            raise ValueError(f"average_clips must be 'prob', 'score' or None, got {average_clips!r}")
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.init_std = init_std
        self.average_clips = average_clips
        self.loss_cls = MODELS.build(loss_cls or dict(type='CrossEntropyLoss'))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.normal_(self.fc_cls.weight, 0, self.init_std)
        nn.init.zeros_(self.fc_cls.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, M, C, T, V) -> (N, K)``."""
        if x.dim() != 5 or x.shape[2] != self.in_channels:
            raise ValueError(f'GCNHead expects (N, M, {self.in_channels}, T, V) features, got {tuple(x.shape)}')
        x = x.mean(dim=(3, 4)).mean(dim=1)
        return self.fc_cls(self.dropout(x))

    def average_clip_scores(self, cls_score: torch.Tensor, num_clips: int) -> torch.Tensor:
        """``(N * num_clips, K)`` scores -> ``(N, K)`` per :attr:`average_clips`."""
        cls_score = cls_score.view(-1, num_clips, cls_score.shape[-1])
        if self.average_clips == 'prob':
            return F.softmax(cls_score, dim=2).mean(dim=1)
        return cls_score.mean(dim=1)

    def loss(self, cls_score: torch.Tensor, labels: torch.Tensor) -> dict:
        """Loss dict with ``loss_cls`` and the batch ``top1_acc`` (for logging)."""
        losses = dict(loss_cls=self.loss_cls(cls_score, labels))
        with torch.no_grad():
            losses['top1_acc'] = (cls_score.argmax(dim=1) == labels).float().mean()
        return losses

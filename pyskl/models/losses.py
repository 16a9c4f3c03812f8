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
        self.register_buffer(
            'class_weight', None if class_weight is None else torch.tensor(class_weight), persistent=False
        )

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(cls_score, label, weight=self.class_weight, label_smoothing=self.label_smoothing)
        return loss * self.loss_weight


@MODELS.register_module()
class ClassSpecificContrastiveLoss(nn.Module):
    """ProtoGCN's class-specific contrastive loss on the backbone's graph output.

    ``f = cl_fc(graph)`` ``(N, D)``. A class memory ``avg_f`` ``(D, K)`` (a buffer, saved in checkpoints;
    checkpoints without it load and keep the current memory) is updated, for every class ``c`` with samples
    that are labelled ``c`` and predicted ``c``, to ``0.9 * avg_f[:, c] + 0.1 * mean_c(f)`` (``mean_c`` keeps
    its gradient, the old memory does not). The loss is the cross-entropy of the cosine similarities between
    ``f`` and the updated memory, divided by ``temperature``. The updated memory is stored, detached.

    Args:
        in_features (int): Length of the graph vector (``V * V``).
        num_classes (int): K.
        feat_dim (int): D. Defaults to 256.
        momentum (float): Weight of the old memory. Defaults to 0.9.
        temperature (float): Defaults to 0.125.
    """

    optional_state_keys = ('avg_f',)

    def __init__(
        self, in_features: int, num_classes: int, feat_dim: int = 256, momentum: float = 0.9, temperature: float = 0.125
    ):
        super().__init__()
        self.momentum = momentum
        self.temperature = temperature
        self.cl_fc = nn.Linear(in_features, feat_dim)
        self.register_buffer('avg_f', torch.randn(feat_dim, num_classes))

    def forward(self, graph: torch.Tensor, labels: torch.Tensor, cls_score: torch.Tensor) -> torch.Tensor:
        """``graph`` ``(N, in_features)``, ``labels`` ``(N,)``, ``cls_score`` ``(N, K)`` -> scalar loss."""
        f = self.cl_fc(graph)  # (N, D)
        num_classes = self.avg_f.shape[1]
        hit = (cls_score.detach().argmax(dim=1) == labels).to(f.dtype)
        mask = F.one_hot(labels, num_classes).to(f.dtype) * hit[:, None]  # (N, K)
        count = mask.sum(dim=0)  # (K,)
        mean = f.t() @ mask / (count + 1e-12)  # (D, K)
        memory = self.avg_f.detach().clone()
        memory = torch.where(count[None] > 0, self.momentum * memory + (1 - self.momentum) * mean, memory)
        f_n = f / (f.norm(dim=1, keepdim=True) + 1e-12)
        m_n = memory / (memory.norm(dim=0, keepdim=True) + 1e-12)
        loss = F.cross_entropy(f_n @ m_n / self.temperature, labels)
        with torch.no_grad():
            self.avg_f.copy_(memory)
        return loss

from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel

from pyskl.registry import MODELS

DataSamples = Optional[List[dict]]


@MODELS.register_module()
class RecognizerGCN(BaseModel):
    """Skeleton recognizer: ``backbone`` (GCN) + ``cls_head``.

    Args:
        backbone (dict): Backbone config, e.g. ``dict(type='STGCN', graph_cfg=...)``.
        cls_head (dict): Head config, e.g. ``dict(type='GCNHead', num_classes=60, in_channels=256)``.
        data_preprocessor (dict | None): Defaults to ``dict(type='SkeletonDataPreprocessor')``.
        train_cfg (dict | None): Unused; accepted for config compatibility.
        test_cfg (dict | None): ``dict(average_clips='prob'|'score'|None)`` overrides the head's.
    """

    def __init__(
        self,
        backbone: dict,
        cls_head: dict,
        data_preprocessor: Optional[dict] = None,
        train_cfg: Optional[dict] = None,
        test_cfg: Optional[dict] = None,
        init_cfg=None,
    ):
        preprocessor = MODELS.build(data_preprocessor or dict(type='SkeletonDataPreprocessor'))
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        self.backbone = _build('backbone', backbone)
        _check_widths(self.backbone, backbone)
        self.cls_head = _build('cls_head', cls_head)
        self.train_cfg = train_cfg or {}
        self.test_cfg = test_cfg or {}
        if 'average_clips' in self.test_cfg:
            self.cls_head.average_clips = self.test_cfg['average_clips']

    def extract_feat(self, inputs: torch.Tensor) -> Union[torch.Tensor, tuple]:
        """``(N, M, T, V, C) -> (N, M, C', T', V)``; a backbone may return ``(feat, *extra)`` (ProtoGCN:
        ``(feat, graph)``), whose extras go to ``cls_head.loss``."""
        return self.backbone(inputs)

    @staticmethod
    def _flatten_clips(inputs: torch.Tensor):
        if inputs.dim() == 5:
            return inputs, 1
        if inputs.dim() != 6:
            raise ValueError(
                f'expected inputs (N, num_clips, M, T, V, C) or (N, M, T, V, C), got {tuple(inputs.shape)}'
            )
        n, nc = inputs.shape[:2]
        return inputs.reshape((n * nc,) + inputs.shape[2:]), nc

    def forward(
        self, inputs: torch.Tensor, data_samples: DataSamples = None, mode: str = 'tensor'
    ) -> Union[torch.Tensor, Dict[str, torch.Tensor], List[dict]]:
        """Run the model.

        Args:
            inputs (torch.Tensor): ``(N, num_clips, M, T, V, C)`` or ``(N, M, T, V, C)``.
            data_samples (list[dict] | None): Per-sample dicts with ``gt_label`` (and ``sample_idx``,
                ``frame_dir``), as packed by ``PackSkeletonInputs``.
            mode (str): ``'tensor'`` -> scores ``(N * num_clips, K)``; ``'loss'`` -> dict with
                ``loss_cls`` and ``top1_acc``; ``'predict'`` -> list of N dicts
                ``dict(pred_score=Tensor(K), gt_label=int, sample_idx=int, frame_dir=str)``.
        """
        x, num_clips = self._flatten_clips(inputs)
        feat = self.extract_feat(x)
        aux = ()
        if isinstance(feat, tuple):  # (features, extra outputs for the head's loss), e.g. ProtoGCN's graph
            feat, *aux = feat
        cls_score = self.cls_head(feat)
        if mode == 'tensor':
            return cls_score
        if mode == 'loss':
            labels = self._labels(data_samples, inputs.device).repeat_interleave(num_clips)
            return self.cls_head.loss(cls_score, labels, *aux)
        if mode == 'predict':
            scores = self.cls_head.average_clip_scores(cls_score, num_clips)
            samples = data_samples or [{} for _ in range(scores.shape[0])]
            results = []
            for score, sample in zip(scores, samples):
                out = dict(sample)
                out['pred_score'] = score.detach()
                results.append(out)
            return results
        raise ValueError(f"mode must be 'tensor', 'loss' or 'predict', got {mode!r}")

    @staticmethod
    def _labels(data_samples: DataSamples, device) -> torch.Tensor:
        if not data_samples:
            raise ValueError("mode='loss' needs data_samples with 'gt_label'")
        return torch.as_tensor([int(s['gt_label']) for s in data_samples], dtype=torch.long, device=device)


def _check_widths(backbone: torch.nn.Module, cfg: dict) -> None:
    """Refuse a backbone with a layer of zero channels: widths derived from a small ``base_channels`` (a sixth of it
    per ST-GCN++ temporal branch, an eighth in AAGCN / CTR-GCN's attention) round down to 0, which used to fail at
    the first forward pass with "expected weight to be at least 1 at dimension 0"."""
    for name, module in backbone.named_modules():
        widths = [getattr(module, key, None) for key in ('in_channels', 'out_channels', 'num_features')]
        if isinstance(module, (torch.nn.Conv2d, torch.nn.BatchNorm2d)) and 0 in widths:
            raise ValueError(
                f'{cfg.get("type")}: layer backbone.{name} ({type(module).__name__}) gets 0 channels from '
                f'base_channels={cfg.get("base_channels")}; this architecture needs wider layers'
            )


def _build(part: str, cfg) -> torch.nn.Module:
    """``MODELS.build(cfg)`` with a wrong argument named: a misspelt or unknown keyword (``model.backbone.foo=1``), a
    missing one or a value of the wrong kind was a TypeError traceback from the constructor."""
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ValueError(f'model.{part} must be a dict with a type, got {type(cfg).__name__}')
    try:
        return MODELS.build(cfg)
    except TypeError as e:
        raise ValueError(f'model.{part} ({cfg.get("type")}): {e}') from None

"""Classification accuracy metric."""

from typing import Any, Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from pyskl.registry import METRICS

from ..functional import mean_class_accuracy, top_k_accuracy
from .utils import pack_prediction, sort_dedupe


@METRICS.register_module()
class AccMetric(BaseMetric):
    """Top-k and mean-class accuracy of action recognition predictions.

    Consumes the model's predictions ``dict(pred_score=Tensor(K), gt_label=int,
    sample_idx=int, frame_dir=str)`` and reports, with the default ``prefix='acc'``,
    ``acc/top1``, ``acc/top5`` (one key per ``topk``) and ``acc/mean1``. Values are
    fractions in ``[0, 1]``. Predictions are deduplicated by ``sample_idx`` (distributed
    samplers pad the last batch with repeated samples).

    Args:
        metric_list (str | Sequence[str]): any of ``'top_k_accuracy'`` and
            ``'mean_class_accuracy'``.
        topk (int | Sequence[int]): the ``k`` of top-k accuracy.
        collect_device (str): device used to gather results across ranks.
        prefix (str): prefix of the reported keys.
        collect_dir (str, optional): shared directory for ``collect_device='cpu'``.
    """

    default_prefix = 'acc'
    allowed_metrics = ('top_k_accuracy', 'mean_class_accuracy')

    def __init__(
        self,
        metric_list=('top_k_accuracy', 'mean_class_accuracy'),
        topk=(1, 5),
        collect_device: str = 'cpu',
        prefix: Optional[str] = 'acc',
        collect_dir: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if isinstance(metric_list, str):
            metric_list = (metric_list,)
        metric_list = tuple(metric_list)
        if not metric_list:
            raise ValueError('AccMetric: metric_list is empty')
        for m in metric_list:
            if m not in self.allowed_metrics:
                raise ValueError(f'AccMetric: unknown metric "{m}"; allowed: {self.allowed_metrics}')
        if isinstance(topk, int):
            topk = (topk,)
        topk = tuple(topk)
        if not topk or any(not isinstance(k, int) or k < 1 for k in topk):
            raise ValueError(f'AccMetric: topk must be positive integers, got {topk}')
        self.metric_list = metric_list
        self.topk = topk

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store ``pred_score`` (float32 ``(K,)``), ``gt_label`` and ``sample_idx``."""
        for i, sample in enumerate(data_samples):
            record = pack_prediction(sample, i)
            if 'gt_label' not in record:
                raise KeyError(
                    f'AccMetric: prediction {i} of the batch has no "gt_label" '
                    f'(frame_dir={record.get("frame_dir")}); accuracy needs labels'
                )
            record.pop('frame_dir', None)
            self.results.append(record)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute the accuracies over the gathered, deduplicated ``results``."""
        results = sort_dedupe(results)
        num_classes = {r['pred_score'].shape[0] for r in results}
        if len(num_classes) != 1:
            raise ValueError(f'AccMetric: predictions have different numbers of classes: {sorted(num_classes)}')
        scores = np.stack([r['pred_score'] for r in results])
        labels = np.array([r['gt_label'] for r in results], dtype=np.int64)
        metrics = {}
        if 'top_k_accuracy' in self.metric_list:
            for k, acc in zip(self.topk, top_k_accuracy(scores, labels, self.topk)):
                metrics[f'top{k}'] = acc
        if 'mean_class_accuracy' in self.metric_list:
            metrics['mean1'] = mean_class_accuracy(scores, labels)
        return metrics

"""Write test-set predictions to a pickle file."""

from typing import Any, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from pyskl.core.io import dump_pickle
from pyskl.registry import METRICS

from .utils import pack_prediction, sort_dedupe


@METRICS.register_module()
class DumpResults(BaseMetric):
    """Dump the predictions of a test run (only the main process writes).

    Formats:

    - ``'pyskl'`` (PYSKL's ``result.pkl``): a list with one float32 ``(K,)`` score array
      (probabilities with the default ``average_clips='prob'``) per test sample, in
      dataset order.
    - ``'mmaction'`` (MMAction2 1.x ``--dump``): a list of dicts with ``pred_score``
      (float32 ``(K,)`` array), ``gt_label`` (int), ``sample_idx`` (int), ``frame_dir``
      (str), in dataset order.

    Dataset order is restored by sorting on ``sample_idx``; repeated indices
    (distributed padding) are dropped. Shadows mmengine's ``DumpResults`` in the pyskl
    scope.

    Args:
        out_file_path (str): output path ending with ``.pkl`` or ``.pickle``.
        fmt (str): ``'pyskl'`` or ``'mmaction'``.
        collect_device (str): device used to gather results across ranks.
        collect_dir (str, optional): shared directory for ``collect_device='cpu'``.
    """

    default_prefix = 'dump'
    formats = ('pyskl', 'mmaction')

    def __init__(self, out_file_path: str, fmt: str = 'pyskl', collect_device: str = 'cpu', collect_dir=None) -> None:
        super().__init__(collect_device=collect_device, prefix='dump', collect_dir=collect_dir)
        if not str(out_file_path).endswith(('.pkl', '.pickle')):
            raise ValueError(f'DumpResults: out_file_path must end with .pkl or .pickle, got "{out_file_path}"')
        if fmt not in self.formats:
            raise ValueError(f'DumpResults: fmt must be one of {self.formats}, got "{fmt}"')
        self.out_file_path = str(out_file_path)
        self.fmt = fmt

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for i, sample in enumerate(data_samples):
            self.results.append(pack_prediction(sample, i))

    def compute_metrics(self, results: list) -> dict:
        results = sort_dedupe(results)
        if self.fmt == 'pyskl':
            out = [r['pred_score'] for r in results]
        else:
            out = [
                dict(
                    pred_score=r['pred_score'],
                    gt_label=r.get('gt_label'),
                    sample_idx=r.get('sample_idx'),
                    frame_dir=r.get('frame_dir'),
                )
                for r in results
            ]
        dump_pickle(out, self.out_file_path)
        print_log(
            f'Results ({len(out)} samples, format "{self.fmt}") written to {self.out_file_path}', logger='current'
        )
        return {}

import torch
from mmengine.model import BaseDataPreprocessor

from pyskl.registry import MODELS


@MODELS.register_module()
class SkeletonDataPreprocessor(BaseDataPreprocessor):
    """Stack the collated skeleton inputs onto the model's device.

    ``data['inputs']``: a list of N tensors ``(num_clips, M, T, V, C)`` (mmengine's ``pseudo_collate``)
    or an already stacked tensor -> ``(N, num_clips, M, T, V, C)`` float32. ``data['data_samples']``
    becomes a list of N dicts (``pseudo_collate`` turns per-sample dicts into a dict of lists; this
    undoes it).
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1:
                raise ValueError(
                    f'cannot batch skeleton inputs of different shapes {sorted(shapes)}; '
                    'use a fixed clip_len / num_person in the pipeline'
                )
            inputs = torch.stack(list(inputs))
        samples = data.get('data_samples')
        if isinstance(samples, dict):
            keys = list(samples)
            samples = [dict(zip(keys, values)) for values in zip(*(samples[k] for k in keys))]
        return dict(inputs=inputs.float(), data_samples=samples)

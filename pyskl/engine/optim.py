"""Mixed precision on CPU: bfloat16 autocast (no loss scaling is needed for bfloat16)."""

from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from pyskl.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUBF16OptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` that runs the forward pass under
    ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    ``tools/train.py --amp`` selects it when CUDA is absent (mmengine's
    ``AmpOptimWrapper`` requires a GPU). Parameters and optimizer state stay float32.
    """

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        with super().optim_context(model), torch.autocast(device_type='cpu', dtype=torch.bfloat16):
            yield

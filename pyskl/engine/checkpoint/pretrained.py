"""``init_cfg=dict(type='Pretrained', ...)`` through pyskl's safe checkpoint reader."""

from collections import OrderedDict

import torch

from pyskl.registry import WEIGHT_INITIALIZERS
from .matching import check_loaded_fraction, match_summary
from .reading import FileFormatError, load_checkpoint_file, model_weights, resolve_checkpoint_path


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PysklPretrainedInit:
    """``init_cfg=dict(type='Pretrained', checkpoint=PATH, prefix=None)`` read by pyskl's checkpoint loader
    (:func:`pyskl.engine.checkpoint.load_checkpoint_file`), replacing mmengine's ``PretrainedInit`` (a plain
    ``torch.load``) in the ``pyskl`` scope.

    Args:
        checkpoint (str): File or ``http(s)://`` URL.
        prefix (str | None): Load only the weights under this prefix (stripped), e.g. ``'backbone.'``.
        map_location: As in :func:`torch.load`.
        allow_partial (bool): Accept a checkpoint that covers less than ``min_fraction`` of the module's
            parameters (element count). Defaults to False: such a load raises with a summary.
        min_fraction (float): See ``allow_partial``. Defaults to 0.5.
    """

    def __init__(
        self, checkpoint: str, prefix=None, map_location='cpu', allow_partial: bool = False, min_fraction: float = 0.5
    ):
        self.checkpoint, self.prefix, self.map_location = checkpoint, prefix, map_location
        self.min_fraction = 0.0 if allow_partial else float(min_fraction)
        self.wholemodule = False

    def __call__(self, module: torch.nn.Module) -> None:
        from mmengine.logging import print_log

        path = resolve_checkpoint_path(self.checkpoint)
        state_dict = model_weights(load_checkpoint_file(path, self.map_location), path)
        if self.prefix:
            prefix = self.prefix if self.prefix.endswith('.') else self.prefix + '.'
            state_dict = OrderedDict((k[len(prefix) :], v) for k, v in state_dict.items() if k.startswith(prefix))
            if not state_dict:
                raise FileFormatError(f'{path}: no weights under the prefix {prefix!r}')
        summary = match_summary(module, state_dict)
        check_loaded_fraction(
            summary, path, self.min_fraction, what='init_cfg Pretrained', hint='add allow_partial=True to the init_cfg'
        )
        module.load_state_dict(OrderedDict((k, state_dict[k]) for k in summary['loaded']), strict=False)
        print_log(
            f'init_cfg Pretrained: loaded {len(summary["loaded"])} tensors from {path} '
            f'({100 * summary["fraction"]:.1f}% of the parameters)',
            logger='current',
        )

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'

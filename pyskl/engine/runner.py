"""``PysklRunner``: mmengine's Runner with weights_only checkpoint loading and CPU DDP."""
import copy
import os
import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
from mmengine.dist import is_distributed
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_state_dict
from torch.nn.parallel import DistributedDataParallel

from pyskl.registry import MODEL_WRAPPERS, RUNNERS

from .checkpoint import WeightsOnlyCheckpointHook
from .dist import init_dist_env


def resolve_checkpoint_path(filename: str) -> str:
    """Local path of ``filename``; ``http(s)://`` files are downloaded once into torch's
    hub cache (``<torch.hub.get_dir()>/checkpoints``) by local rank 0."""
    if not re.match(r'^https?://', filename):
        return osp.expanduser(filename)
    cache = osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(cache, osp.basename(filename.split('?')[0]))
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    if local_rank == 0 and not osp.isfile(path):
        os.makedirs(cache, exist_ok=True)
        torch.hub.download_url_to_file(filename, path)
    if is_distributed():
        torch.distributed.barrier()
    return path


@RUNNERS.register_module()
class PysklRunner(Runner):
    """mmengine ``Runner`` with three changes (selected by ``runner_type='PysklRunner'``):

    - every checkpoint the runner loads (``load_from``, ``resume``) is read by
      :func:`pyskl.utils.checkpoint.load_checkpoint_file` (``torch.load(weights_only=True)``
      plus the allow-list for released PYSKL / MMAction2 files); model keys are renamed
      with :func:`pyskl.utils.checkpoint.convert_state_dict` (``module.`` prefixes,
      MMAction2's ``cls_head.fc``);
    - :class:`WeightsOnlyCheckpointHook` is always registered, so saved checkpoints only
      hold tensors and builtins;
    - without CUDA, distributed runs use the gloo backend (:func:`init_dist_env`) and the
      DDP wrapper gets ``device_ids=None``;
    - ``persistent_workers`` follows ``num_workers`` (:meth:`build_dataloader`).
    """

    @staticmethod
    def build_dataloader(dataloader, seed: Optional[int] = None, diff_rank_seed: bool = False):
        """mmengine's ``Runner.build_dataloader`` with ``persistent_workers`` following ``num_workers``:
        a config dict with ``num_workers`` 0 (or absent) gets ``persistent_workers=False`` (PyTorch refuses
        persistent workers without workers), so ``--cfg-options train_dataloader.num_workers=0`` alone works
        with the zoo's ``persistent_workers=True``. The dict is copied, not modified; a built ``DataLoader``
        is returned unchanged."""
        if isinstance(dataloader, dict) and dataloader.get('persistent_workers') and not dataloader.get('num_workers'):
            dataloader = copy.copy(dataloader)
            dataloader['persistent_workers'] = False
        return Runner.build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)

    def setup_env(self, env_cfg: Dict) -> None:
        if self.distributed and not is_distributed():
            init_dist_env(self.launcher, **copy.deepcopy(dict(env_cfg.get('dist_cfg', {}))))
        super().setup_env(env_cfg)

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        super().register_hooks(default_hooks, custom_hooks)
        if not any(isinstance(h, WeightsOnlyCheckpointHook) for h in self._hooks):
            self.register_hook(WeightsOnlyCheckpointHook())

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: torch.nn.Module):
        if self.distributed and not torch.cuda.is_available() and not is_model_wrapper(model):
            if model_wrapper_cfg is None:
                model_wrapper_cfg = dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                                         find_unused_parameters=self.cfg.get('find_unused_parameters', False))
            model_wrapper_cfg = copy.deepcopy(dict(model_wrapper_cfg))
            model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
            wrapper = model_wrapper_cfg['type']
            if isinstance(wrapper, str):
                wrapper = MODEL_WRAPPERS.get(wrapper)
            if isinstance(wrapper, type) and issubclass(wrapper, DistributedDataParallel):
                model_wrapper_cfg['device_ids'] = None  # CPU modules: no device ids
        return super().wrap_model(model_wrapper_cfg, model)

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: Optional[List[Tuple[str, str]]] = None) -> dict:
        """Load ``filename`` with ``weights_only=True``, run the ``after_load_checkpoint``
        hooks (which restore the message hub's HistoryBuffers) and load the weights.

        Args and return value as :meth:`mmengine.runner.Runner.load_checkpoint` (``module.`` prefixes
        and MMAction2's ``cls_head.fc`` are renamed by :func:`pyskl.utils.checkpoint.model_weights`).
        """
        from pyskl.utils.checkpoint import load_checkpoint_file, model_weights

        path = resolve_checkpoint_path(filename)
        checkpoint = load_checkpoint_file(path, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)

        model = self.model.module if is_model_wrapper(self.model) else self.model
        load_state_dict(model, model_weights(checkpoint, path, revise_keys), strict=strict, logger=self.logger)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

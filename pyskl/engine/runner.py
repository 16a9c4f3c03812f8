"""``PysklRunner``: mmengine's Runner with weights_only checkpoint loading and CPU DDP."""

import copy
import math
import os
import os.path as osp
import pickle
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

import torch
from mmengine.dist import is_distributed, master_only
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_state_dict
from torch.nn.parallel import DistributedDataParallel

from pyskl.core.allocator import tune_allocator
from pyskl.core.reprs import short_repr
from pyskl.registry import MODEL_WRAPPERS, RUNNERS

from .checkpoint import resolve_checkpoint_path
from .checkpoint_hook import SafeCheckpointHook, WeightsOnlyCheckpointHook
from .dist import init_dist_env, set_num_threads


def _safe_checkpoint_hook(hook, logger):
    """A hook config with ``type`` mmengine's ``CheckpointHook`` turned into :class:`SafeCheckpointHook`
    (other configs and hook objects unchanged; a plain ``CheckpointHook`` object gets a warning)."""
    if isinstance(hook, dict):
        hook_type = hook.get('type')
        if hook_type is CheckpointHook or hook_type in ('CheckpointHook', 'mmengine.CheckpointHook'):
            hook = dict(hook, type=SafeCheckpointHook)
    elif type(hook) is CheckpointHook:
        logger.warning(
            'A CheckpointHook object was passed: it deletes old checkpoints before writing new ones; '
            "pass dict(type='CheckpointHook', ...) to get pyskl's crash-safe SafeCheckpointHook"
        )
    return hook


@RUNNERS.register_module()
class PysklRunner(Runner):
    """mmengine ``Runner`` with these changes (selected by ``runner_type='PysklRunner'``):

    - ``resume`` never executes the config stored in a checkpoint (mmengine's does);
    - every checkpoint the runner loads (``load_from``, ``resume``) is read by
      :func:`pyskl.engine.checkpoint.load_checkpoint_file` (``torch.load(weights_only=True)``
      plus the allow-list for released PYSKL / MMAction2 files); model keys are renamed
      with :func:`pyskl.engine.checkpoint.convert_state_dict` (``module.`` prefixes,
      MMAction2's ``cls_head.fc``);
    - :class:`WeightsOnlyCheckpointHook` is always registered, so saved checkpoints only
      hold tensors and builtins;
    - without CUDA, distributed runs use the gloo backend (:func:`init_dist_env`) and the
      DDP wrapper gets ``device_ids=None``;
    - ``persistent_workers`` follows ``num_workers`` (:meth:`build_dataloader`);
    - torch's thread count is set deliberately (``env_cfg.num_threads``; see
      :func:`pyskl.engine.dist.set_num_threads`) and logged, and so is the C allocator
      (:func:`pyskl.core.allocator.tune_allocator`: freed memory kept for reuse);
    - checkpoints are written crash-safely (:meth:`save_checkpoint`), and a plain
      ``CheckpointHook`` (mmengine's default or from a config) is replaced by
      :class:`SafeCheckpointHook` with the same arguments;
    - ``compile`` compiles the backbone in place, for training and testing (:meth:`_maybe_compile`), not
      mmengine's whole ``train_step``.
    """

    #: ``save_checkpoint`` replaces files atomically (checked by :class:`SafeCheckpointHook`)
    saves_atomically = True

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

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        for note in (getattr(self, '_threads_note', None), getattr(self, '_allocator_note', None)):
            if note:
                logger.info(note)
        return logger

    def setup_env(self, env_cfg: Dict) -> None:
        if self.distributed and not is_distributed():
            init_dist_env(self.launcher, **copy.deepcopy(dict(env_cfg.get('dist_cfg', {}))))
        env_cfg = dict(env_cfg)
        self._threads_note = set_num_threads(env_cfg.pop('num_threads', None))
        self._allocator_note = tune_allocator()
        super().setup_env(env_cfg)

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        default_hooks = dict(default_hooks or {})
        # mmengine adds CheckpointHook(interval=1) when a config names no checkpoint hook
        default_hooks.setdefault('checkpoint', dict(type='CheckpointHook', interval=1))
        default_hooks = {k: _safe_checkpoint_hook(v, self.logger) for k, v in default_hooks.items()}
        custom_hooks = [_safe_checkpoint_hook(h, self.logger) for h in (custom_hooks or [])]
        super().register_hooks(default_hooks, custom_hooks)
        if not any(isinstance(h, WeightsOnlyCheckpointHook) for h in self._hooks):
            self.register_hook(WeightsOnlyCheckpointHook())

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: torch.nn.Module):
        if self.distributed and not torch.cuda.is_available() and not is_model_wrapper(model):
            if model_wrapper_cfg is None:
                model_wrapper_cfg = dict(
                    type='MMDistributedDataParallel',
                    broadcast_buffers=False,
                    find_unused_parameters=self.cfg.get('find_unused_parameters', False),
                )
            model_wrapper_cfg = copy.deepcopy(dict(model_wrapper_cfg))
            model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
            wrapper = model_wrapper_cfg['type']
            if isinstance(wrapper, str):
                wrapper = MODEL_WRAPPERS.get(wrapper)
            if isinstance(wrapper, type) and issubclass(wrapper, DistributedDataParallel):
                model_wrapper_cfg['device_ids'] = None  # CPU modules: no device ids
        return super().wrap_model(model_wrapper_cfg, model)

    def _maybe_compile(self, target: str) -> None:
        """The config's ``compile`` (True or a dict of ``torch.compile`` arguments, see
        :func:`pyskl.core.config_checks.compile_options`) compiles the model's backbone with ``nn.Module.compile``: in
        place, so parameter names, checkpoints and the DDP wrapper are unchanged, and once (validation and the
        final test reuse it). mmengine compiles ``train_step`` instead (data preprocessing, the losses, the
        backward pass and the optimizer step in one function): on CPU its first epoch of the demo config had not
        logged an iteration after 20 minutes (docs/benchmarks.md). ``target`` is ignored."""
        from pyskl.core.config_checks import compile_options

        options = compile_options(self.cfg.get('compile'))
        if options is None:
            return
        model = self.model.module if is_model_wrapper(self.model) else self.model
        module = model.backbone if hasattr(model, 'backbone') else model
        if getattr(module, '_compiled_call_impl', None) is not None:
            return
        module.compile(**options)
        self.logger.info(
            f'{type(module).__name__} compiled (torch.compile {options}): the first iterations of training '
            'and of each new batch shape compile it (minutes)'
        )

    def test(self) -> dict:
        """mmengine's ``Runner.test``, with the backbone compiled first when the config sets ``compile``."""
        self._maybe_compile('test_step')
        return super().test()

    @master_only
    def save_checkpoint(
        self,
        out_dir: str,
        filename: str,
        file_client_args: Optional[dict] = None,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: Optional[dict] = None,
        by_epoch: bool = True,
        backend_args: Optional[dict] = None,
    ):
        """:meth:`mmengine.runner.Runner.save_checkpoint` (same arguments and contents), written
        crash-safely when ``out_dir`` is local: into a temporary file beside the target, fsynced,
        renamed over ``<out_dir>/<filename>`` with ``os.replace`` and the directory fsynced
        (:func:`pyskl.core.fileio.write_atomic`). A kill at any instant leaves either the complete
        old file or the complete new one under that name. Other backends write as mmengine does."""
        from pyskl.core.fileio import write_atomic

        save = super().save_checkpoint
        kwargs = dict(
            save_optimizer=save_optimizer, save_param_scheduler=save_param_scheduler, meta=meta, by_epoch=by_epoch
        )
        if file_client_args is not None or not isinstance(
            get_file_backend(out_dir, backend_args=backend_args), LocalBackend
        ):
            return save(out_dir, filename, file_client_args, backend_args=backend_args, **kwargs)
        path = osp.join(out_dir, filename)
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        write_atomic(path, lambda tmp: save(out_dir, osp.relpath(tmp, out_dir), backend_args=backend_args, **kwargs))

    def load_checkpoint(
        self,
        filename: str,
        map_location: Union[str, Callable] = 'cpu',
        strict: bool = False,
        revise_keys: Optional[List[Tuple[str, str]]] = None,
    ) -> dict:
        """Load ``filename`` with ``weights_only=True``, run the ``after_load_checkpoint``
        hooks (which restore the message hub's HistoryBuffers) and load the weights.

        Args and return value as :meth:`mmengine.runner.Runner.load_checkpoint` (``module.`` prefixes
        and MMAction2's ``cls_head.fc`` are renamed by :func:`pyskl.engine.checkpoint.model_weights`).
        Unless the config sets ``allow_partial_load = True``, a checkpoint that covers less than half of the
        model's parameters (``min_load_fraction``, default 0.5) raises ``WeightsMismatchError`` (a ``ValueError``
        and a ``RuntimeError``) with a summary.
        """
        from pyskl.engine.checkpoint import check_loaded_fraction, load_checkpoint_file, match_summary, model_weights

        path = resolve_checkpoint_path(filename)
        checkpoint = load_checkpoint_file(path, map_location=map_location)
        with restoring(path, 'its message_hub'):
            self.call_hook('after_load_checkpoint', checkpoint=checkpoint)

        model = self.model.module if is_model_wrapper(self.model) else self.model
        state_dict = model_weights(checkpoint, path, revise_keys)
        if not self.cfg.get('allow_partial_load', False):
            check_loaded_fraction(
                match_summary(model, state_dict),
                path,
                float(self.cfg.get('min_load_fraction', 0.5)),  # a number in [0, 1]: core.config_checks.check_structure
                what='resume' if self._resume else 'load_from',
            )
        load_state_dict(model, state_dict, strict=strict, logger=self.logger)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def resume(
        self,
        filename: str,
        resume_optimizer: bool = True,
        resume_param_scheduler: bool = True,
        map_location: Union[str, Callable] = 'default',
    ) -> None:
        """mmengine's ``Runner.resume`` without executing anything from the file.

        mmengine hands ``checkpoint['meta']['config']`` to ``Config.fromstring`` (which runs it as Python) to
        compare ``gpu_ids``; here the stored config is never read. Everything else is kept: epoch / iter,
        the seed (the stored one wins, with a warning when the config differs), the dataset-meta warning, the
        message hub, the optimizer and the parameter schedulers. The checkpoint must be a training
        checkpoint (``meta.epoch`` / ``meta.iter`` non-negative ints).
        """
        from mmengine.device import get_device

        from pyskl.engine.checkpoint import FileFormatError

        device = get_device() if map_location == 'default' else map_location
        checkpoint = self.load_checkpoint(filename, map_location=device)
        meta = checkpoint.get('meta')
        epoch, it = (meta.get('epoch'), meta.get('iter')) if isinstance(meta, dict) else (None, None)
        if not all(type(v) is int and 0 <= v < 2**40 for v in (epoch, it)) or not isinstance(
            checkpoint.get('message_hub'), dict
        ):
            raise FileFormatError(
                f'{filename}: not a training checkpoint that can be resumed (needs meta.epoch, '
                'meta.iter as non-negative ints below 2**40 and message_hub); to start from its weights use '
                'load_from without --resume'
            )
        self._check_same_experiment(meta, filename)
        self.train_loop._epoch, self.train_loop._iter = epoch, it

        resumed_seed = meta.get('seed', None)
        if resumed_seed is not None and type(resumed_seed) is not int:
            raise FileFormatError(f'{filename}: meta.seed must be an int, got {type(resumed_seed).__name__}')
        current_seed = self._randomness_cfg.get('seed')
        if resumed_seed is not None and resumed_seed != current_seed:
            if current_seed is not None:
                self.logger.warning(
                    f'The value of random seed in the checkpoint "{resumed_seed}" is different '
                    f'from the value in `randomness` config "{current_seed}"'
                )
            self._randomness_cfg.update(seed=resumed_seed)
            self.set_randomness(**self._randomness_cfg)

        dataset_meta = getattr(self.train_dataloader.dataset, 'metainfo', None)
        if pickle.dumps(meta.get('dataset_meta', None)) != pickle.dumps(dataset_meta):
            self.logger.warning(
                'The dataset metainfo from the resumed checkpoint is different from the current '
                'training dataset, please check the correctness of the checkpoint or the training '
                'dataset.'
            )

        with restoring(filename, 'its message_hub'):
            self.message_hub.load_state_dict(checkpoint['message_hub'])

        if 'optimizer' in checkpoint and resume_optimizer:
            self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
            with restoring(filename, 'its optimizer state'):
                self.optim_wrapper.load_state_dict(checkpoint['optimizer'])
            check_optimizer_state(self.optim_wrapper, filename)

        if resume_param_scheduler and self.param_schedulers is None:
            self.logger.warning(
                '`resume_param_scheduler` is True but `self.param_schedulers` is None, so skip '
                'resuming parameter schedulers'
            )
            resume_param_scheduler = False
        if 'param_schedulers' in checkpoint and resume_param_scheduler:
            self.param_schedulers = self.build_param_scheduler(self.param_schedulers)
            with restoring(filename, 'its param_schedulers'):
                self._load_schedulers(checkpoint['param_schedulers'])

        self._has_loaded = True
        self.logger.info(f'resumed epoch: {self.epoch}, iter: {self.iter}')
        max_epochs = getattr(self.train_loop, 'max_epochs', None)
        if isinstance(max_epochs, int) and self.epoch >= max_epochs:  # the loop will not run: say so
            self.logger.warning(
                f'{filename}: training already finished (epoch {self.epoch} of {max_epochs}); nothing to train. '
                'Raise train_cfg.max_epochs to go on, or pass --no-resume (another --work-dir) to start over.'
            )

    def _check_same_experiment(self, meta: dict, filename: str) -> None:
        """Refuse to resume a run of another experiment: a checkpoint whose stored config disagrees with this config
        on feats, layout, num_classes, in_channels or backbone (a bone stream resumed from a joint stream's weights
        with no word; ``pyskl test`` already refused that pair)."""
        from pyskl.core.config_data import CONFIG_KEY, compare_facts, config_from_data

        stored = meta.get(CONFIG_KEY)
        if stored is None:
            return
        diffs = compare_facts(config_from_data(stored, filename), self.cfg)
        if diffs:
            raise ValueError(
                f'{filename} was trained with a different experiment than this config, so it cannot be resumed:\n  '
                + '\n  '.join(diffs)
                + '\nStart from its weights with load_from=... (and --no-resume), or train into another work dir.'
            )

    def _load_schedulers(self, states) -> None:
        """The parameter schedulers' states of a resumed checkpoint (a list, or a dict of lists per optimizer)."""
        if isinstance(self.param_schedulers, dict):
            pairs = [p for name, group in self.param_schedulers.items() for p in zip(group, states[name])]
        else:
            pairs = list(zip(self.param_schedulers, states))
        for scheduler, state in pairs:
            scheduler.load_state_dict(state)
            if not (type(scheduler.last_step) is int and 0 <= scheduler.last_step < 2**40):
                raise TypeError(f'last_step must be a non-negative int, got {short_repr(scheduler.last_step)}')


@contextmanager
def restoring(path: str, part: str) -> Iterator[None]:
    """Turn a failure while restoring ``part`` of checkpoint ``path`` (a crafted or foreign file: a list where a dict
    belongs, a string learning rate, a scheduler state of another kind) into one error naming both."""
    from pyskl.core.unpickle_guard import FileFormatError, LoadError

    try:
        yield
    except LoadError:
        raise
    except (TypeError, AttributeError, AssertionError, KeyError, IndexError, ValueError, OverflowError) as e:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else ''
        raise FileFormatError(f'{path}: {part} cannot be restored: {type(e).__name__}: {detail[:300]}') from None


def check_optimizer_state(optim_wrapper, path: str) -> None:
    """After resuming: every per-parameter state tensor (momentum, Adam moments) has its parameter's shape, and every
    learning rate / momentum of the param groups is a finite number (a mismatch failed at the first step, after
    training had started; a NaN rate trained a whole epoch of NaN losses)."""
    from pyskl.core.unpickle_guard import FileFormatError

    optimizer = getattr(optim_wrapper, 'optimizer', optim_wrapper)
    for g, group in enumerate(optimizer.param_groups):
        for key in ('lr', 'momentum', 'weight_decay'):
            value = group.get(key)
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise FileFormatError(
                    f'{path}: its optimizer state sets param_groups[{g}].{key} = {short_repr(value)}; '
                    'a finite number is needed'
                )
        for i, param in enumerate(group['params']):
            for key, value in optimizer.state.get(param, {}).items():
                if isinstance(value, torch.Tensor) and value.numel() > 1 and value.shape != param.shape:
                    raise FileFormatError(
                        f'{path}: its optimizer state has {key} of shape {tuple(value.shape)} for parameter '
                        f'{i} of param_groups[{g}], shape {tuple(param.shape)}: saved for another model'
                    )

"""PYSKL configs (mmcv 1.x: ``data = dict(videos_per_gpu=..., train=...)``, ``optimizer``, ``lr_config``,
``total_epochs``) converted to pyskl's mmengine configs (``pyskl convert-config``).

The model and the pipelines keep their meaning: pyskl registers PYSKL's model and transform names, so ``model`` is
copied as it is and each pipeline only loses ``Collect`` / ``ToTensor`` (``PackSkeletonInputs`` packs the clip).
The rest maps one to one:

===============================================  ===========================================================
PYSKL                                            pyskl
===============================================  ===========================================================
``data.videos_per_gpu`` / ``workers_per_gpu``    ``*_dataloader.batch_size`` / ``num_workers``
``data.{val,test}_dataloader.videos_per_gpu``    that dataloader's ``batch_size``
``data.train`` / ``val`` / ``test``              ``*_dataloader.dataset`` (val / test with ``test_mode=True``)
``optimizer``, ``optimizer_config.grad_clip``    ``optim_wrapper.optimizer``, ``optim_wrapper.clip_grad``
``lr_config`` (CosineAnnealing, step, warmup)    ``param_scheduler`` (CosineToEndLR, MultiStepLR, LinearLR)
``total_epochs``, ``evaluation.interval``        ``train_cfg.max_epochs``, ``train_cfg.val_interval``
``evaluation.metrics``                           ``val_evaluator`` / ``test_evaluator`` (AccMetric)
``checkpoint_config``, ``log_config.interval``   ``default_hooks.checkpoint``, ``default_hooks.logger.interval``
``resume_from``                                  ``load_from`` + ``resume=True``
===============================================  ===========================================================

The runtime (hooks, runner, environment) is pyskl's (:data:`RUNTIME`, the settings of
``configs/_base_/default_runtime.py``). What has no counterpart (``dist_params``, ``workflow``, PYSKL's helper
variables such as ``train_pipeline``, a dataset's ``class_prob``) is left out and listed in the notes the
conversion returns; what would change the experiment and cannot be converted (another ``lr_config`` policy, a
model that is not a ``RecognizerGCN``) is an error naming the key.
"""

import copy
from typing import Any, Dict, List, Tuple

__all__ = ['RUNTIME', 'is_legacy_config', 'convert_legacy_config']

#: pyskl's runtime settings (those of ``configs/_base_/default_runtime.py``; a test keeps the two equal).
RUNTIME: Dict[str, Any] = dict(
    default_scope='pyskl',
    runner_type='PysklRunner',
    default_hooks=dict(
        runtime_info=dict(type='RuntimeInfoHook'),
        timer=dict(type='IterTimerHook'),
        logger=dict(type='LoggerHook', interval=100, ignore_last=False),
        param_scheduler=dict(type='ParamSchedulerHook'),
        checkpoint=dict(type='SafeCheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3),
        sampler_seed=dict(type='DistSamplerSeedHook'),
        sync_buffers=dict(type='SyncBuffersHook'),
    ),
    custom_hooks=[dict(type='WeightsOnlyCheckpointHook'), dict(type='EvalProgressBarHook')],
    env_cfg=dict(
        num_threads=None,
        cudnn_benchmark=False,
        mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
        dist_cfg=dict(backend='nccl'),
    ),
    log_processor=dict(type='LogProcessor', window_size=20, by_epoch=True),
    vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')],
    visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]),
    log_level='INFO',
    load_from=None,
    resume=False,
    randomness=dict(seed=None, diff_rank_seed=False, deterministic=False),
)

#: Top-level keys only a PYSKL (mmcv 1.x) config has.
LEGACY_KEYS = ('total_epochs', 'lr_config', 'optimizer_config', 'checkpoint_config', 'log_config', 'resume_from')
#: Top-level keys of a PYSKL config that hold no setting of their own (left out without a note).
_HELPERS = ('dataset_type', 'ann_file', 'train_pipeline', 'val_pipeline', 'test_pipeline', 'data_root')
#: PYSKL top-level settings with no counterpart (left out with a note).
_DROPPED = ('dist_params', 'workflow', 'gpu_ids', 'omnisource', 'module_hooks', 'opencv_num_threads', 'mp_start_method')
#: Dataset arguments pyskl's PoseDataset and RepeatDataset take.
_DATASET_KEYS = (
    'type',
    'ann_file',
    'pipeline',
    'split',
    'valid_ratio',
    'box_thr',
    'test_mode',
    'layout',
    'num_classes',
    'times',
    'dataset',
)
#: Evaluation metrics AccMetric computes (top-1 / top-5 and mean class accuracy).
_METRICS = ('top_k_accuracy', 'mean_class_accuracy')


def is_legacy_config(cfg) -> bool:
    """Whether ``cfg`` (a Config or dict) is a PYSKL / mmcv 1.x config: a ``data`` dict of ``train`` / ``val`` /
    ``test`` / ``videos_per_gpu``, or one of :data:`LEGACY_KEYS`, and no ``train_dataloader`` / ``test_dataloader``."""
    if cfg.get('train_dataloader') is not None or cfg.get('test_dataloader') is not None:
        return False
    data = cfg.get('data')
    legacy_data = isinstance(data, dict) and any(k in data for k in ('train', 'val', 'test', 'videos_per_gpu'))
    return legacy_data or any(k in cfg for k in LEGACY_KEYS)


def _pipeline(steps, where: str) -> list:
    if not isinstance(steps, (list, tuple)) or not all(isinstance(s, dict) and 'type' in s for s in steps):
        raise ValueError(f'{where}: a pipeline is a list of dicts with a type')
    kept = [copy.deepcopy(dict(s)) for s in steps if s['type'] not in ('Collect', 'ToTensor')]
    return kept + [dict(type='PackSkeletonInputs')]


def _dataset(d, where: str, test_mode: bool, notes: List[str]) -> dict:
    if not isinstance(d, dict) or 'type' not in d:
        raise ValueError(f'{where}: a dataset is a dict with a type')
    out = {}
    for key, value in d.items():
        if key == 'dataset':
            out[key] = _dataset(value, f'{where}.dataset', test_mode, notes)
        elif key == 'pipeline':
            out[key] = _pipeline(value, f'{where}.pipeline')
        elif key in _DATASET_KEYS:
            out[key] = copy.deepcopy(value)
        else:
            notes.append(f'{where}.{key} left out (pyskl has no such dataset argument)')
    if d['type'] != 'RepeatDataset' and test_mode:
        out['test_mode'] = True
    return out


def _loader(data: dict, split: str, notes: List[str]) -> dict:
    own = data.get(f'{split}_dataloader') or {}
    batch = own.get('videos_per_gpu', data.get('videos_per_gpu', 1 if split == 'test' else 16))
    workers = own.get('workers_per_gpu', data.get('workers_per_gpu', 2))
    train = split == 'train'
    sampler = dict(type='SeededSampler', shuffle=True) if train else dict(type='DefaultSampler', shuffle=False)
    dataset = _dataset(data[split], f'data.{split}', split != 'train', notes)
    return dict(
        batch_size=batch, num_workers=workers, persistent_workers=bool(workers), sampler=sampler, dataset=dataset
    )


def _schedulers(lr: dict, optimizer: dict, source: str) -> list:
    """``param_scheduler`` for an mmcv ``lr_config``."""
    if not lr:
        return []
    lr = dict(lr)
    policy = lr.pop('policy', None)
    by_epoch = lr.pop('by_epoch', True)
    out = []
    warmup = lr.pop('warmup', None)
    warmup_iters = lr.pop('warmup_iters', 0)
    warmup_ratio = lr.pop('warmup_ratio', 0.1)
    warmup_by_epoch = lr.pop('warmup_by_epoch', False)
    if warmup is not None:
        if warmup != 'linear':
            raise ValueError(
                f"{source}: lr_config.warmup={warmup!r} is not converted (only 'linear'); write param_scheduler"
            )
        out.append(
            dict(type='LinearLR', start_factor=warmup_ratio, begin=0, end=warmup_iters, by_epoch=warmup_by_epoch)
        )
    iter_based = not by_epoch
    if policy in ('CosineAnnealing', 'cosine'):
        eta_min = lr.pop('min_lr', None)
        ratio = lr.pop('min_lr_ratio', None)
        if eta_min is None:
            eta_min = 0 if ratio is None else ratio * optimizer.get('lr', 0)
        out.append(dict(type='CosineToEndLR', eta_min=eta_min, by_epoch=True, convert_to_iter_based=iter_based))
    elif policy in ('step', 'Step'):
        step = lr.pop('step')
        milestones = [step] if isinstance(step, int) else list(step)
        gamma = lr.pop('gamma', 0.1)
        out.append(dict(type='MultiStepLR', milestones=milestones, gamma=gamma, by_epoch=by_epoch))
    elif policy not in (None, 'fixed', 'Fixed'):
        raise ValueError(
            f'{source}: lr_config.policy={policy!r} is not converted (CosineAnnealing, step and fixed are); '
            'write param_scheduler by hand (docs/config.md)'
        )
    if lr:
        raise ValueError(f'{source}: lr_config keys {sorted(lr)} are not converted; write param_scheduler by hand')
    return out


def convert_legacy_config(old: dict, source: str = 'config') -> Tuple[dict, List[str]]:
    """A pyskl config (a plain dict) for the PYSKL config ``old`` (a plain dict, e.g. ``Config.fromfile(...)
    .to_dict()``), and notes on what was left out.

    Raises:
        ValueError: naming ``source`` and the key, for what cannot be converted without changing the experiment.
    """
    notes: List[str] = []
    model = old.get('model')
    if not isinstance(model, dict) or model.get('type') != 'RecognizerGCN':
        kind = model.get('type') if isinstance(model, dict) else type(model).__name__
        raise ValueError(
            f'{source}: model.type={kind!r}: pyskl converts graph-convolution recognizers (RecognizerGCN); '
            "PYSKL's PoseC3D (Recognizer3D) and other models are not part of pyskl"
        )
    data = old.get('data')
    if not isinstance(data, dict) or 'train' not in data and 'test' not in data:
        raise ValueError(f'{source}: data must be a dict with train / val / test datasets (a PYSKL config)')
    new: Dict[str, Any] = dict(model=copy.deepcopy(model))
    for split in ('train', 'val', 'test'):
        if split in data:
            new[f'{split}_dataloader'] = _loader(data, split, notes)
    evaluation = dict(old.get('evaluation') or {})
    metrics = evaluation.get('metrics', ['top_k_accuracy'])
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown:
        notes.append(f'evaluation.metrics {unknown} left out (AccMetric reports top-1, top-5 and mean class accuracy)')
    if 'val' in data:
        new['val_evaluator'] = [dict(type='AccMetric')]
    if 'test' in data:
        new['test_evaluator'] = [dict(type='AccMetric')]
    if 'train' in data:
        epochs = old.get('total_epochs')
        if epochs is None:
            raise ValueError(f'{source}: total_epochs is missing (the training length)')
        interval = evaluation.get('interval', 1)
        new['train_cfg'] = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=interval)
        optimizer = dict(old.get('optimizer') or {})
        if not optimizer:
            raise ValueError(f'{source}: optimizer is missing')
        wrapper = dict(optimizer=optimizer)
        if 'paramwise_cfg' in optimizer:
            wrapper['paramwise_cfg'] = optimizer.pop('paramwise_cfg')
        grad_clip = (old.get('optimizer_config') or {}).get('grad_clip')
        if grad_clip:
            wrapper['clip_grad'] = dict(grad_clip)
        new['optim_wrapper'] = wrapper
        new['param_scheduler'] = _schedulers(old.get('lr_config') or {}, optimizer, source)
    if 'val' in data:
        new['val_cfg'] = dict(type='ValLoop')
    if 'test' in data:
        new['test_cfg'] = dict(type='TestLoop')

    runtime = copy.deepcopy(RUNTIME)
    hooks = runtime['default_hooks']
    ckpt = dict(old.get('checkpoint_config') or {})
    for key in ('interval', 'max_keep_ckpts', 'save_optimizer', 'out_dir', 'by_epoch'):
        if key in ckpt:
            hooks['checkpoint'][key] = ckpt.pop(key)
    if 'save_best' in evaluation:
        hooks['checkpoint']['save_best'] = evaluation['save_best']
    if ckpt:
        notes.append(f'checkpoint_config keys {sorted(ckpt)} left out')
    log = old.get('log_config') or {}
    if 'interval' in log:
        hooks['logger']['interval'] = log['interval']
    if old.get('cudnn_benchmark') is not None:
        runtime['env_cfg']['cudnn_benchmark'] = bool(old['cudnn_benchmark'])
    for key in ('log_level', 'load_from', 'work_dir'):
        if old.get(key) is not None:
            runtime[key] = old[key]
    if old.get('resume_from'):
        runtime['load_from'], runtime['resume'] = old['resume_from'], True
    if old.get('find_unused_parameters'):
        runtime['model_wrapper_cfg'] = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
    new.update(runtime)

    handled = set(new) | {'data', 'evaluation', 'total_epochs', 'optimizer', 'optimizer_config', 'lr_config'}
    handled |= {'checkpoint_config', 'log_config', 'resume_from', 'cudnn_benchmark', 'find_unused_parameters'}
    for key in old:
        if key in handled or key in _HELPERS or key.startswith('_'):
            continue
        why = 'no counterpart in pyskl' if key in _DROPPED else 'not a setting pyskl reads'
        notes.append(f'{key} left out ({why})')
    return new, notes

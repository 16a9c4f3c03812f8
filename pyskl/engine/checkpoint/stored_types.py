"""What a config stored in a checkpoint may ask for when pyskl runs it (``pyskl test CKPT``, ``predict``,
``export``, ``extract-features`` without a config file).

:func:`pyskl.core.config_data.config_from_data` makes sure the stored config is plain data that imports nothing.
It may still name any registered component, and some of mmengine's write files or reach out: ``DumpResults``
(an evaluator) overwrites the file its ``out_file_path`` names, ``ProfilerHook`` writes traces (and crashed the
process at exit), ``WandbVisBackend`` and its kind send logs away, and ``out_dir`` / ``save_dir`` arguments move
outputs anywhere. So a stored config that runs may name only pyskl's own components (everything its registries
hold) and the mmengine hooks, loops, samplers, dataset wrappers, optimizers and schedulers that pyskl's configs
use or a training config plausibly adds (:data:`MMENGINE_TYPES`), and may not set an output location. Anything
else is refused with the entry's path; the remedy is to pass the config file (which the user trusts) as well,
when the stored config is only compared with it.
"""

from typing import Any, FrozenSet, Set

from pyskl.core.reprs import short_repr

__all__ = ['MMENGINE_TYPES', 'OUTPUT_KEYS', 'check_stored_types', 'pyskl_type_names']

#: mmengine / torch components a stored config may name (they compute; they write nothing of their own choosing).
MMENGINE_TYPES: FrozenSet[str] = frozenset(
    # hooks of configs/_base_/default_runtime.py and the two training plausibly adds
    {'RuntimeInfoHook', 'IterTimerHook', 'LoggerHook', 'ParamSchedulerHook', 'CheckpointHook'}
    | {'DistSamplerSeedHook', 'SyncBuffersHook', 'EMAHook', 'EarlyStoppingHook'}
    | {'LogProcessor', 'Visualizer', 'LocalVisBackend', 'TensorboardVisBackend'}
    | {'EpochBasedTrainLoop', 'IterBasedTrainLoop', 'ValLoop', 'TestLoop'}
    | {'DefaultSampler', 'InfiniteSampler', 'RepeatDataset', 'ConcatDataset', 'ClassBalancedDataset'}
    | {'pseudo_collate', 'default_collate', 'OptimWrapper', 'AmpOptimWrapper'}
    | {'SGD', 'Adam', 'AdamW', 'Adamax', 'NAdam', 'RAdam', 'RMSprop', 'Adagrad', 'Adadelta'}
    | {f'{kind}{what}' for kind in ('Constant', 'CosineAnnealing', 'CosineRestart', 'Exponential', 'Linear',
                                    'MultiStep', 'Poly', 'Step', 'ReduceOnPlateau')
       for what in ('LR', 'Momentum', 'ParamScheduler')}
    | {'OneCycleLR', 'OneCycleParamScheduler'}
)  # fmt: skip

#: Arguments that choose where a component writes; a stored config may not set them (None is fine).
OUTPUT_KEYS: FrozenSet[str] = frozenset({'out_dir', 'save_dir', 'out_file_path', 'file_path', 'log_dir', 'dump_path'})


def pyskl_type_names() -> Set[str]:
    """Every name registered in pyskl's own registries (its modules imported first)."""
    from pyskl import registry

    names = set()
    for value in vars(registry).values():
        if isinstance(value, registry.Registry) and value.scope == registry.SCOPE:
            value.import_from_location()
            names.update(value.module_dict)
    return names


def check_stored_types(data: Any, source: str) -> None:
    """Refuse a stored config (plain data, checked by ``config_from_data``) that names a component outside pyskl's
    and :data:`MMENGINE_TYPES`, or sets one of :data:`OUTPUT_KEYS`.

    Raises:
        ValueError: naming ``source`` (the checkpoint), the entry's path and the value.
    """
    allowed = pyskl_type_names() | MMENGINE_TYPES
    seen = set()

    def walk(obj: Any, path: str) -> None:
        if not isinstance(obj, (dict, list, tuple)) or id(obj) in seen:
            return
        seen.add(id(obj))
        items = obj.items() if isinstance(obj, dict) else ((f'[{i}]', v) for i, v in enumerate(obj))
        for key, value in items:
            where = f'{path}.{key}' if isinstance(obj, dict) else f'{path}{key}'
            if isinstance(obj, dict) and key == 'type' and isinstance(value, str) and value not in allowed:
                raise ValueError(
                    f'{source}: the stored config names {where} = {short_repr(value)}, which pyskl does not run '
                    "from a checkpoint (only pyskl's components and the mmengine hooks, loops, optimizers and "
                    'schedulers its configs use); pass the config file as well'
                )
            if isinstance(obj, dict) and key in OUTPUT_KEYS and value is not None:
                raise ValueError(
                    f'{source}: the stored config sets {where} = {short_repr(value)}: an output location is not '
                    'taken from a checkpoint; pass the config file as well'
                )
            walk(value, where)

    walk(data, 'config')

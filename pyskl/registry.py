"""Registries of the ``pyskl`` scope.

Every registry is a child of mmengine's root registry of the same kind, so a config
whose ``default_scope`` is ``'pyskl'`` finds pyskl's components first and mmengine's
(optimizers, hooks, schedulers, ...) after them. ``locations`` lists the modules that
register into each registry; mmengine imports them the first time the registry builds
something in the ``pyskl`` scope, so ``import pyskl`` itself stays light.
"""

import datetime
import importlib
import warnings
from typing import List

from mmengine import DefaultScope
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'pyskl'

RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, scope=SCOPE, locations=['pyskl.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope=SCOPE, locations=['pyskl.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=SCOPE, locations=['pyskl.engine'])
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS, scope=SCOPE, locations=['pyskl.engine'])

DATASETS = Registry(
    'dataset',
    parent=MMENGINE_DATASETS,
    scope=SCOPE,
    locations=['pyskl.datasets.pose_dataset', 'pyskl.datasets.dataset_wrappers'],
)
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, scope=SCOPE, locations=['pyskl.datasets.samplers']
)
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope=SCOPE, locations=['pyskl.datasets.transforms'])
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope=SCOPE)

MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE, locations=['pyskl.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope=SCOPE, locations=['pyskl.models'])

OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope=SCOPE, locations=['pyskl.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope=SCOPE, locations=['pyskl.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope=SCOPE, locations=['pyskl.engine']
)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, scope=SCOPE, locations=['pyskl.engine']
)

METRICS = Registry('metric', parent=MMENGINE_METRICS, scope=SCOPE, locations=['pyskl.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, scope=SCOPE, locations=['pyskl.evaluation'])

VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, scope=SCOPE)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, scope=SCOPE)
# ``init_cfg=dict(type='Pretrained', ...)`` reads through pyskl's checkpoint loader (pyskl.engine.checkpoint)
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, scope=SCOPE, locations=['pyskl.engine']
)


def build_in_pyskl_scope(registry, cfg: dict):
    """``registry.build(cfg)`` in the ``pyskl`` scope unless ``cfg`` names its own ``_scope_``, so
    that ``type='UniformSampleFrames'`` resolves whatever the current default scope is (a Runner
    built with ``default_scope='mmengine'`` leaves that scope current)."""
    cfg = dict(cfg)
    cfg.setdefault('_scope_', 'pyskl')
    return registry.build(cfg)


def registering_modules() -> List[str]:
    """The modules that register pyskl's components: the ``locations`` of the registries above (one list)."""
    modules = []
    for registry in (
        RUNNERS,
        LOOPS,
        HOOKS,
        LOG_PROCESSORS,
        DATASETS,
        DATA_SAMPLERS,
        TRANSFORMS,
        MODELS,
        MODEL_WRAPPERS,
        OPTIMIZERS,
        OPTIM_WRAPPERS,
        OPTIM_WRAPPER_CONSTRUCTORS,
        PARAM_SCHEDULERS,
        METRICS,
        EVALUATOR,
        WEIGHT_INITIALIZERS,
    ):
        modules += [m for m in registry._locations if m not in modules]
    return modules


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every pyskl module that registers components (:func:`registering_modules`, imported by name like
    mmengine's lazy ``locations``), and optionally make ``pyskl`` the default registry scope.

    Args:
        init_default_scope (bool): Set the current default scope to ``'pyskl'`` so
            that ``type='STGCN'`` resolves in pyskl's registries. Defaults to True.
    """
    for module in registering_modules():
        importlib.import_module(module)
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('pyskl'):
        if current is not None and current.scope_name != 'pyskl':
            warnings.warn(
                f'The current default scope "{current.scope_name}" is not "pyskl"; '
                'a new default scope "pyskl" is created for pyskl components.'
            )
        name = 'pyskl' if current is None else f'pyskl-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='pyskl')

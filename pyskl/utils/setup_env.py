import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every pyskl module that registers components, and optionally make
    ``pyskl`` the default registry scope.

    Args:
        init_default_scope (bool): Set the current default scope to ``'pyskl'`` so
            that ``type='STGCN'`` resolves in pyskl's registries. Defaults to True.
    """
    import importlib

    from pyskl.datasets import REGISTERING_MODULES
    for module in REGISTERING_MODULES:
        importlib.import_module(module)
    import pyskl.engine  # noqa: F401
    import pyskl.evaluation  # noqa: F401
    import pyskl.models  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('pyskl'):
        if current is not None and current.scope_name != 'pyskl':
            warnings.warn(f'The current default scope "{current.scope_name}" is not "pyskl"; '
                          'a new default scope "pyskl" is created for pyskl components.')
        name = 'pyskl' if current is None else f'pyskl-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='pyskl')

"""Config loading: :func:`load_config` (every tool's way in) and :func:`resolve_config`.

A loaded config is resolved (its top-level facts and the slots that follow them,
:mod:`pyskl.core.config_facts`), then checked (:mod:`pyskl.core.config_checks`). Leaf configs end with
``from pyskl.core.config import resolve_leaf`` + ``resolve_leaf(globals())``, which stays importable from here.
"""

from typing import Optional

from mmengine.config import Config

from .config_checks import check_option_keys, check_optimizer, check_schedule, check_structure, compile_options
from .config_facts import path_str, facts_of, resolve_facts
from .config_facts import resolve_leaf  # noqa: F401 (the leaf configs import it from here)


def resolve_config(cfg: Config, cfg_options: Optional[dict] = None, where: str = 'config') -> Config:
    """Resolve a loaded config in place: check (and complete) its own facts, then merge ``cfg_options``
    (``--cfg-options``) and resolve them (:func:`resolve_facts`, explicit = the option keys)."""
    file_facts = facts_of(cfg, where)
    resolve_facts(cfg, file_facts, lambda p: False, where)
    if cfg_options:
        check_option_keys(cfg, cfg_options, where)
        cfg.merge_from_dict(cfg_options)
        keys = [str(k) for k in cfg_options]

        def explicit(path):
            s = path_str(path)
            return any(s == k or s.startswith(k + '.') for k in keys)

        resolve_facts(cfg, file_facts, explicit, f'{where} with --cfg-options')
    check_structure(cfg, where)
    check_schedule(cfg, where)
    check_optimizer(cfg, where)
    compile_options(cfg.get('compile'), where)
    return cfg


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load an mmengine config and :func:`resolve_config` it.

    Every tool, :func:`pyskl.apis.init_recognizer` and the tests load configs through this function.
    """
    import os

    if os.path.isdir(path):
        raise ValueError(f'{path}: is a directory, not a config file (e.g. {os.path.join(path, "j.py")})')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'config not found: {path}')
    if os.path.splitext(path)[1].lower() not in ('.py', '.json', '.yaml', '.yml'):
        raise ValueError(f'{path}: not a config file (a .py config, or .json / .yaml)')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:  # mmengine parses the file (and its _base_ files) before running them
        name = e.filename if e.filename and not e.filename.startswith('<') else path
        where = f'{name}, line {e.lineno}' if e.lineno else name
        raise ValueError(f'{where}: not valid Python ({e.msg})') from None
    from .legacy_config import is_legacy_config

    if is_legacy_config(cfg):  # mmengine would build it with defaults and fail deep inside the runner
        raise ValueError(
            f'{path}: a PYSKL (mmcv 1.x) config (data=dict(videos_per_gpu=..., train=...), total_epochs, lr_config): '
            f'convert it once with `pyskl convert-config {path} NEW.py` and use NEW.py'
        )
    return resolve_config(cfg, cfg_options, where=path)

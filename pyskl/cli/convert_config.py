"""``pyskl convert-config OLD.py NEW.py``: a PYSKL config (mmcv 1.x: ``data = dict(videos_per_gpu=...)``,
``optimizer``, ``lr_config``, ``total_epochs``) rewritten as a pyskl config (mmengine: dataloaders, ``optim_wrapper``,
``param_scheduler``, ``train_cfg``, pyskl's runtime); see :mod:`pyskl.core.legacy_config` for the mapping.

The new config is checked before it is written: it must load as every tool loads configs and its model and every
pipeline step must build. What was left out is listed. PYSKL configs are Python files: like any config, OLD is run
to read it.
"""

import os
from typing import List, Optional

from .base import command_parser


def build_parser(parser=None):
    p = parser if parser is not None else command_parser('convert-config', 'Convert a PYSKL config to pyskl')
    p.add_argument('config', help='PYSKL config file (.py)')
    p.add_argument('out', help='the pyskl config to write (.py)')
    p.add_argument('--overwrite', action='store_true', help='replace OUT if it exists')
    return p


def _check_builds(path: str) -> None:
    """Load ``path`` as the tools do and build its model and every pipeline step (no data is read)."""
    from mmengine.registry import DefaultScope

    from pyskl.core.config import load_config
    from pyskl.registry import MODELS, TRANSFORMS

    cfg = load_config(path)
    with DefaultScope.overwrite_default_scope('pyskl'):
        MODELS.build(cfg.model)
        for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            dataset = (cfg.get(name) or {}).get('dataset') or {}
            while 'dataset' in dataset:
                dataset = dataset['dataset']
            for i, step in enumerate(dataset.get('pipeline') or []):
                try:
                    TRANSFORMS.build(step)
                except (KeyError, TypeError, ValueError) as e:
                    raise ValueError(f'{name}.dataset pipeline[{i}] ({step.get("type")}): {e}') from None


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from mmengine.config import Config

    from pyskl.core.fileio import check_output_path, temp_path, write_text_atomic
    from pyskl.core.legacy_config import convert_legacy_config, is_legacy_config

    check_output_path(args.out, 'out', [('the PYSKL config', args.config)])
    if not args.out.endswith('.py'):
        raise ValueError(f'{args.out}: the new config is a .py file')
    if os.path.exists(args.out) and not args.overwrite:
        raise ValueError(f'{args.out} exists; pass --overwrite to replace it')
    if not os.path.isfile(args.config):
        raise FileNotFoundError(f'config not found: {args.config}')
    old = Config.fromfile(args.config)
    if not is_legacy_config(old):
        raise ValueError(f'{args.config}: not a PYSKL (mmcv 1.x) config: it has no data=dict(train=...) / total_epochs')
    new, notes = convert_legacy_config(old.to_dict(), args.config)
    text = (
        f'# Converted from the PYSKL config {os.path.basename(args.config)} by `pyskl convert-config`\n'
        '# (pyskl/core/legacy_config.py has the mapping).\n' + Config(new).pretty_text
    )
    scratch = temp_path(args.out) + '.py'  # the text is checked as a config file before it is written
    try:
        with open(scratch, 'w', encoding='utf-8') as f:
            f.write(text)
        _check_builds(scratch)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    write_text_atomic(args.out, text)
    for note in notes:
        print(f'note: {note}')
    print(f'wrote {args.out}')
    return 0

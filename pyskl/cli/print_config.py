"""``pyskl print-config`` (``tools/misc/print_config.py``): print a config as the tools see it: ``_base_`` files
merged, ``--cfg-options`` applied, then pyskl's top-level keys resolved (``feats`` into every ``GenSkeFeat`` and
``model.backbone.in_channels``; the dataset's ``layout`` / ``num_classes`` into the model), all by
:func:`pyskl.core.config.load_config`.

    pyskl print-config CONFIG [--cfg-options k=v ...] [--out FILE]

``--out FILE`` also writes the resolved config to FILE (``.py``, ``.json`` or ``.yaml``), a
self-contained config that the tools accept in place of CONFIG.
"""

import os.path as osp
from typing import List, Optional

from pyskl.core.fileio import check_output_path

from .base import command_parser


def build_parser(parser=None):
    from .base import cfg_options_action

    if parser is None:
        parser = command_parser('print-config', 'Print the resolved pyskl config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=cfg_options_action(),
        help='override config settings, e.g. feats=[j,b] model.backbone.base_channels=32',
    )
    parser.add_argument('--out', help='also write the resolved config to this file (.py, .json or .yaml)')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pyskl.core.config import load_config

    if args.out:  # the resolved config loses _base_, comments and resolve_leaf: never over the source
        check_output_path(args.out, '--out', [('the config', args.config)])
        if osp.splitext(args.out)[1].lower() not in ('.py', '.json', '.yaml', '.yml'):
            raise ValueError(f'--out {args.out}: must end in .py, .json or .yaml')

    cfg = load_config(args.config, cfg_options=args.cfg_options)
    print(f'Config: {args.config}')
    print(cfg.pretty_text)
    if args.out:
        cfg.dump(args.out)
        print(f'Written to {args.out}')
    return 0

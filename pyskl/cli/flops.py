"""``pyskl flops`` (``tools/analysis/get_flops.py``): trainable parameters and GFLOPs of a config's
``backbone + cls_head``.

    pyskl flops CONFIG [--shape N M T V C] [--include-norm] [--cfg-options k=v ...]

The default input is ``(1, 2, 100, V, C)``, V from the config's skeleton layout and C from its
``in_channels``. One FLOP is one multiply-add of a convolution, linear layer, matmul or einsum;
``--include-norm`` also counts normalisation layers (MMAction2's published figures do).
See :mod:`pyskl.apis.complexity`.
"""

from typing import List, Optional

from .base import command_parser


def build_parser(parser=None):
    from .base import cfg_options_action

    if parser is None:
        parser = command_parser('flops', 'Count the parameters and FLOPs of a pyskl recognizer')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=5,
        metavar=('N', 'M', 'T', 'V', 'C'),
        help='input shape (default: 1 2 100 V C from the config)',
    )
    parser.add_argument('--include-norm', action='store_true', help='also count normalisation layers')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=cfg_options_action(),
        help='override config settings, e.g. model.backbone.gcn_attention=False',
    )
    return parser


def format_flops(res: dict, include_norm: bool = False) -> str:
    """The result of :func:`pyskl.apis.complexity.get_flops` as text."""
    return '\n'.join(
        [
            f'Input shape: {res["shape"]}',
            f'Params: {res["params"] / 1e6:.2f} M ({res["params"]} trainable)',
            f'GFLOPs: {res["flops"] / 1e9:.4f}' + (' (norm layers included)' if include_norm else ''),
            'By operator (GFLOPs): ' + ', '.join(f'{k} {v / 1e9:.4f}' for k, v in sorted(res['by_operator'].items())),
        ]
    )


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pyskl.apis.complexity import get_flops

    res = get_flops(args.config, shape=args.shape, include_norm=args.include_norm, cfg_options=args.cfg_options)
    print(format_flops(res, args.include_norm))
    return 0

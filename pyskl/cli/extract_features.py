"""``pyskl extract-features CONFIG_OR_CKPT [CKPT] --out feats.pkl|.npy``: backbone features of a split, keyed by
``frame_dir``, for retrieval and linear probes.

    pyskl extract-features CKPT --split xsub_val --out feats.pkl [--unpooled]
    pyskl extract-features CONFIG [CKPT] [--ann-file ANN] [--split NAME] --out feats.npy [--batch-size B]

Pooled features ``(N, C)`` are the classification head's input after its pooling; ``--unpooled`` adds the
backbone output ``(N, M, C, T', V)``. File formats: :mod:`pyskl.apis.features` and docs/predict.md.
"""

import argparse
from typing import List, Optional

from pyskl.core.fileio import check_output_path

from .main import command_parser


def build_parser(parser: Optional[argparse.ArgumentParser] = None) -> argparse.ArgumentParser:
    p = parser or command_parser('extract-features', description=__doc__.split('\n\n')[0])
    p.add_argument('config_or_checkpoint', help='a config (.py) or a pyskl checkpoint (its stored config is used)')
    p.add_argument('checkpoint', nargs='?', help='weights, when the first argument is a config')
    p.add_argument('--ann-file', help="annotation pickle (default: the config's test annotation file)")
    p.add_argument('--split', help="split to extract (default: the config's test split)")
    p.add_argument('--all', action='store_true', help='every sample of the file, ignoring its splits')
    p.add_argument('--out', required=True, help='features file: .pkl (dict) or .npy (+ .frame_dir.txt)')
    p.add_argument('--unpooled', action='store_true', help="also write the unpooled (N, M, C, T', V) features")
    p.add_argument('--batch-size', type=int, default=16, help='samples per forward pass (default 16)')
    p.add_argument('--device', default='cpu', help="'cpu', 'cuda', 'cuda:1', ...")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.batch_size < 1:
        raise ValueError('--batch-size must be >= 1')
    if args.all and args.split:
        raise ValueError('give --split or --all, not both')
    first = args.config_or_checkpoint
    config, checkpoint = (first, args.checkpoint) if first.endswith('.py') else (None, first)
    if config is None and args.checkpoint is not None:
        raise ValueError(f'{first} is not a config (.py); give CONFIG CKPT or CKPT alone')
    inputs = [('the checkpoint', checkpoint), ('the config', config), ('--ann-file', args.ann_file)]
    check_output_path(args.out, '--out', inputs)

    from pyskl.apis.features import extract_features, save_features
    from pyskl.apis.inference import init_recognizer
    from pyskl.apis.predict import load_pickle, model_layout

    model = init_recognizer(config, checkpoint, device=args.device)
    test = model.cfg.get('test_dataloader', {}).get('dataset', {})
    ann_file = args.ann_file or model.cfg.get('ann_file') or test.get('ann_file')
    if not ann_file:
        raise ValueError('the config names no annotation file; give --ann-file')
    split = None if args.all else (args.split or test.get('split'))
    check_output_path(args.out, '--out', [('the annotation file', ann_file)])
    samples = load_pickle(ann_file, split=split, layout=model_layout(model))
    feats = extract_features(model, samples, unpooled=args.unpooled, batch_size=args.batch_size)
    meta = dict(
        checkpoint=checkpoint,
        config=config,
        ann_file=ann_file,
        split=split,
        classes=list(model.classes) if model.classes else None,
    )
    written = save_features(args.out, feats, meta)
    shapes = f'pooled {feats["pooled"].shape}' + (f', unpooled {feats["unpooled"].shape}' if args.unpooled else '')
    print(f'{len(feats["frame_dir"])} samples of {ann_file}' + (f' [{split}]' if split else '') + f': {shapes}')
    for path in written:
        print(f'wrote {path}')
    return 0

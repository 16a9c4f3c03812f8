"""``pyskl fuse`` (``tools/analysis/fuse_results.py``): fuse the test results of several streams (joint, bone,
joint motion, bone motion, ...) and print each stream's and the fusion's accuracies.

    pyskl fuse --preds j.pkl b.pkl jm.pkl bm.pkl --weights 2 2 1 1 \\
        [--ann-file ANN --split xsub_val] [--out fused.pkl] [--label-map MAP]
        [--search-preds J2.pkl B2.pkl ... [--search-ann-file ANN2] --search-split SPLIT2 [--grid 0 0.5 1 2]]

Reads PYSKL ``result.pkl`` files (``tools/test.py --out``: lists of (K,) arrays; labels and sample
names come from ``--ann-file``/``--split``) and MMAction2 dumps (``tools/test.py --dump``: lists of
dicts with ``pred_score``, ``gt_label``, ``frame_dir``). Prints Top-1, Top-5 and mean class accuracy
of each stream and of the weighted sum. Files that do not describe the same samples (lengths, sample
sets, class counts or labels differ) are refused. ``--search-preds`` searches the weights on another
split's results (same streams, same order) and applies the best ones to ``--preds``. ``--out`` writes
the fused scores as a PYSKL result.pkl (list of float32 (K,) arrays in the reference order).
The library: :mod:`pyskl.core.results` (reading) and :mod:`pyskl.evaluation.fusion` (fusion).
"""

import argparse
from typing import Dict, Optional, Sequence, Tuple

from pyskl.core.fileio import check_output_path

from .base import command_parser

__all__ = ['build_parser', 'main', 'format_table', 'format_weights']


def build_parser(parser: Optional[argparse.ArgumentParser] = None) -> argparse.ArgumentParser:
    """The arguments of ``pyskl fuse`` (added to ``parser``, or to a new one)."""
    if parser is None:
        parser = command_parser('fuse', 'Fuse multi-stream test results', allow_abbrev=False)
    parser.add_argument('--preds', nargs='+', required=True, help='result files, one per stream')
    parser.add_argument('--weights', nargs='+', type=float, help='one weight per stream (default: all 1)')
    parser.add_argument('--ann-file', help='annotation file: labels and sample names of the split')
    parser.add_argument('--split', help='split of --ann-file, e.g. xsub_val')
    parser.add_argument('--out', help='write the fused scores (PYSKL result.pkl format)')
    parser.add_argument('--label-map', help='class names (one per line): print per-class accuracy of the fusion')
    parser.add_argument(
        '--search-preds', nargs='+', help='result files of the streams on the split where the weights are searched'
    )
    parser.add_argument('--search-ann-file', help='annotation file of --search-preds (default: --ann-file)')
    parser.add_argument('--search-split', help='split of --search-preds')
    parser.add_argument(
        '--grid', nargs='+', type=float, default=[0, 0.5, 1, 1.5, 2, 3], help='candidate weights of the search'
    )
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.weights is not None and len(args.weights) != len(args.preds):
        parser.error(f'{len(args.preds)} files in --preds need {len(args.preds)} --weights, got {len(args.weights)}')
    if args.search_preds is not None:
        if len(args.search_preds) != len(args.preds):
            parser.error(
                f'--search-preds needs one file per stream of --preds ({len(args.preds)}), got {len(args.search_preds)}'
            )
        if args.weights is not None:
            parser.error('--weights and --search-preds exclude each other (the search chooses the weights)')
    return args


def format_weights(weights: Sequence[float]) -> str:
    """``[2.0, 2.0, 1.0, 1.0]`` -> ``'2:2:1:1'``."""
    return ':'.join(f'{w:g}' for w in weights)


def format_table(rows: Sequence[Tuple[str, str, Dict[str, float]]]) -> str:
    """A fixed-width table with a ``Stream | Weight | Top-1 | Top-5 | Mean-class`` header; ``rows`` are
    ``(name, weight text, metrics)`` with metrics in ``[0, 1]``, printed as percentages."""
    width = max([len('Stream')] + [len(r[0]) for r in rows])
    wwidth = max([len('Weight')] + [len(r[1]) for r in rows])
    lines = [f'{"Stream":<{width}}  {"Weight":>{wwidth}}  {"Top-1":>7}  {"Top-5":>7}  {"Mean-class":>10}']
    for name, weight, m in rows:
        lines.append(
            f'{name:<{width}}  {weight:>{wwidth}}  {100 * m["top1"]:>7.2f}  {100 * m["top5"]:>7.2f}  '
            f'{100 * m["mean1"]:>10.2f}'
        )
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.out:
        inputs = [('one of --preds', p) for p in args.preds + (getattr(args, 'search_preds', None) or [])]
        check_output_path(args.out, '--out', inputs + [('--ann-file', args.ann_file)])
    import numpy as np

    from pyskl.core.results import load_results, load_split_labels
    from pyskl.evaluation.fusion import align_streams, fuse_result_files, search_weights

    weights = args.weights
    if args.search_preds:
        ann = args.search_ann_file or args.ann_file
        reference = load_split_labels(ann, args.search_split) if ann else None
        scores, labels, _ = align_streams([load_results(p) for p in args.search_preds], reference)
        weights, found = search_weights(scores, labels, args.grid)
        where = args.search_split or ', '.join(args.search_preds)
        print(f'Searched weights on {where}: {format_weights(weights)} (Top-1 {100 * found["top1"]:.2f} there)')
    res = fuse_result_files(args.preds, weights, args.ann_file, args.split)
    rows = [(name, f'{w:g}', m) for (name, m), w in zip(res['streams'], res['weights'])]
    rows.append(('Fusion', format_weights(res['weights']), res['fused']))
    print(format_table(rows))

    if args.label_map:
        from pyskl.core.label_map import load_label_map

        names = load_label_map(args.label_map, res['fused_scores'].shape[1])
        print('Per-class Top-1 of the fusion:')
        print(format_per_class(res['fused_scores'], res['labels'], names))
    if args.out:
        from pyskl.core.io import dump_pickle

        dump_pickle([row.astype(np.float32) for row in res['fused_scores']], args.out)
        print(f'Fused scores of {len(res["labels"])} samples written to {args.out}')
    return 0


def format_per_class(scores, labels, class_names: Sequence[str]) -> str:
    """Per-class Top-1 lines ``index  name  accuracy  (n samples)`` for the classes present in ``labels``.

    Args:
        scores (np.ndarray): ``(N, K)`` scores. labels (np.ndarray): ``(N,)`` labels.
        class_names (Sequence[str]): K names (see :func:`pyskl.core.label_map.load_label_map`).
    """
    if len(class_names) != scores.shape[1]:
        raise ValueError(f'{len(class_names)} class names for {scores.shape[1]} classes')
    import numpy as np

    from pyskl.evaluation.functional import per_class_accuracy

    acc = per_class_accuracy(scores, labels)
    count = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(class_names))
    width = max(len(n) for n in class_names)
    return '\n'.join(
        f'{i:>4}  {name:<{width}}  {100 * acc[i]:6.2f}  ({count[i]} samples)'
        for i, name in enumerate(class_names)
        if count[i]
    )

"""``pyskl confusion`` (``tools/analysis/confusion_matrix.py``): confusion matrix (PNG) and per-class accuracy
(CSV) of a test result.

    pyskl confusion RESULT [--ann-file ANN --split xsub_val]
        [--label-map tools/data/label_map/nturgbd_60.txt] [--out-png cm.png] [--out-csv per_class.csv]
        [--no-normalize]

RESULT is a PYSKL result.pkl (``pyskl test --out``; labels from --ann-file/--split) or an
MMAction2 dump (``--dump``; labels inside) - or a fused result of ``pyskl fuse --out``.
The CSV has one row per class: class, name, samples, correct, accuracy, most_confused_with.
See :mod:`pyskl.evaluation.confusion`.
"""

from typing import List, Optional

from pyskl.core.fileio import check_output_path

from .base import command_parser


#: Most classes a confusion matrix is computed and drawn for (NTU-120 has 120, Kinetics-400 400).
MAX_CLASSES = 1000


def build_parser(parser=None):
    if parser is None:
        parser = command_parser('confusion', 'Confusion matrix and per-class accuracy')
    parser.add_argument('result', help='result.pkl or dump file')
    parser.add_argument('--ann-file', help='annotation file (labels for a result.pkl)')
    parser.add_argument('--split', help='split of --ann-file, e.g. xsub_val')
    parser.add_argument('--label-map', help='class names, one per line')
    parser.add_argument('--out-png', default='confusion_matrix.png', help='output PNG')
    parser.add_argument('--out-csv', default='per_class_accuracy.csv', help='output CSV')
    parser.add_argument('--no-normalize', action='store_true', help='plot counts instead of row fractions')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.split is not None and args.ann_file is None:
        raise ValueError('--split needs --ann-file')
    inputs = [('the result file', args.result), ('--ann-file', args.ann_file), ('--label-map', args.label_map)]
    check_output_path(args.out_png, '--out-png', inputs)
    check_output_path(args.out_csv, '--out-csv', inputs + [('--out-png', args.out_png)])
    from pyskl.evaluation.confusion import confusion_matrix, plot_confusion_matrix, write_per_class_csv
    from pyskl.core.results import load_results, load_split_labels
    from pyskl.evaluation.fusion import align_streams, evaluate_scores

    reference = load_split_labels(args.ann_file, args.split) if args.ann_file else None
    (scores,), labels, _ = align_streams([load_results(args.result)], reference)
    names = None
    if args.label_map:
        from pyskl.core.label_map import load_label_map

        names = load_label_map(args.label_map, scores.shape[1])
    if scores.shape[1] > MAX_CLASSES:  # a (K, K) matrix and a K x K image: 10**4 classes asked for 75 GiB
        raise ValueError(
            f'{args.result}: {scores.shape[1]} classes; a confusion matrix is drawn for at most {MAX_CLASSES}'
        )
    cm = confusion_matrix(scores, labels)
    plot_confusion_matrix(cm, args.out_png, names, normalize=not args.no_normalize)
    write_per_class_csv(cm, args.out_csv, names)
    m = evaluate_scores(scores, labels)
    print(
        f'{len(labels)} samples, {scores.shape[1]} classes: Top-1 {100 * m["top1"]:.2f}%, '
        f'mean class accuracy {100 * m["mean1"]:.2f}%'
    )
    print(f'Confusion matrix written to {args.out_png}, per-class accuracy to {args.out_csv}')
    return 0

"""``pyskl predict CKPT INPUT``: classify skeletons from a ``.npy`` array, an annotation pickle, a JSON list of
frames or a video, as one clip per sample (top-k with class names) or with sliding windows (action segments).

    pyskl predict CKPT INPUT [--config CFG] [--frame-dir NAME | --split NAME] [--topk K]
        [--window [W]] [--stride S] [--smooth K] [--batch-size B] [--out FILE.json|.csv] [--plot PNG]
        [--device cpu]

Sliding windows run when ``--window``, ``--stride``, ``--smooth`` or ``--plot`` is given (``--window`` alone:
the config's clip length; ``--stride`` default ``W // 2``). Formats: :mod:`pyskl.apis.predict` (inputs) and
:mod:`pyskl.apis.windows` (windows, segments, output files); docs/predict.md.
"""

import argparse
import os.path as osp
from contextlib import contextmanager
from typing import List, Optional

from pyskl.core.fileio import check_output_path

from .main import command_parser


#: Longest sliding window (frames; about 55 minutes at 30 fps): a batch of windows is this long.
MAX_WINDOW = 100_000


def _window(text: str):
    """argparse ``type`` of ``--window``: frames in 1..MAX_WINDOW, or the bare flag's ``'clip_len'`` (argparse passes
    a string ``const`` through ``type`` too)."""
    if text == 'clip_len':
        return text
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= MAX_WINDOW:
        raise argparse.ArgumentTypeError(f'expected frames from 1 to {MAX_WINDOW}, got {text!r}')
    return value


def build_parser(parser: Optional[argparse.ArgumentParser] = None) -> argparse.ArgumentParser:
    p = parser or command_parser('predict', description=__doc__.split('\n\n')[0])
    p.add_argument('checkpoint', help='pyskl checkpoint (its stored config is used) or released weights with --config')
    p.add_argument(
        'input',
        help='skeletons: .npy (M, T, V, C) or (T, V, C), annotation .pkl, .json frames, '
        'or a video (2D poses by MediaPipe, the pose extra)',
    )
    p.add_argument('--config', help='config file (needed for weights that store none)')
    p.add_argument('--frame-dir', help='annotation pickle: predict only this sample')
    p.add_argument('--split', help='annotation pickle: predict the samples of this split (default: all)')
    p.add_argument('--topk', type=int, default=5, help='classes printed per clip (default 5)')
    p.add_argument(
        '--window',
        type=_window,
        nargs='?',
        const='clip_len',  # the flag without a value (a string: no int the user types can mean it)
        default=None,
        help="sliding windows of W frames (no value: the config's clip_len)",
    )
    p.add_argument('--stride', type=int, help='frames between window starts (default W // 2)')
    p.add_argument('--smooth', type=int, help='moving average over K windows (odd; default 1 = none)')
    p.add_argument(
        '--resample',
        action='store_true',
        help="windows: give the model the config's clip_len frames uniformly sampled from each window "
        '(as the test pipeline samples a whole clip) instead of the W frames as they are',
    )
    p.add_argument('--batch-size', type=int, default=64, help='windows per forward pass (default 64)')
    p.add_argument('--out', help='write the results: .json or .csv (clip top-k, or the segments with windows)')
    p.add_argument(
        '--plot',
        help='sliding windows: PNG of the per-class scores over time (one sample; with '
        'several, NAME.png becomes NAME_<frame_dir>.png)',
    )
    p.add_argument('--device', default='cpu', help="'cpu', 'cuda', 'cuda:1', ...")
    return p


def _clip_rows(results: List[dict]) -> List[dict]:
    return [
        dict(frame_dir=r['frame_dir'], rank=k + 1, label=p.label, name=p.name, score=round(p.score, 6))
        for r in results
        for k, p in enumerate(r['topk'])
    ]


@contextmanager
def _naming(path: str):
    """Prefix a pipeline error (named by sample, e.g. 2D keypoints given to a 3D model's PreNormalize3D) with the
    input file, unless it already names it."""
    try:
        yield
    except ValueError as e:
        if path in str(e):
            raise
        raise ValueError(f'{path}: {e}') from None


def _shown(name) -> str:
    """A sample name as printed: as it is, or quoted with escapes when it holds control characters (a terminal
    escape sequence or a line break in a file's frame_dir would otherwise act on the terminal or fake output)."""
    name = str(name)
    return name if name.isprintable() else repr(name)


def _plot_path(path: str, frame_dir: str, several: bool) -> str:
    stem, ext = osp.splitext(path)
    if not several:
        return path if ext else f'{path}.png'  # matplotlib writes NAME.png for NAME
    safe = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in frame_dir)  # a '/' or a newline in a name
    return f'{stem}_{safe}{ext or ".png"}'


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.topk < 1 or args.batch_size < 1:
        raise ValueError('--topk and --batch-size must be >= 1')
    if args.smooth is not None and args.smooth < 1:
        raise ValueError(f'--smooth must be a positive odd number of windows, got {args.smooth}')
    inputs = [('the input', args.input), ('the checkpoint', args.checkpoint), ('the config', args.config)]
    if args.out:  # before the work: a wrong name used to fail after every prediction had run
        check_output_path(args.out, '--out', inputs)
        if osp.splitext(args.out)[1].lower() not in ('.json', '.csv'):
            raise ValueError(f'--out {args.out}: must end in .json or .csv')
    if args.plot:
        check_output_path(_plot_path(args.plot, 'x', False), '--plot', inputs)
    windows = any(v is not None for v in (args.window, args.stride, args.smooth, args.plot)) or args.resample

    from pyskl.apis.inference import init_recognizer
    from pyskl.apis.predict import load_skeletons, model_layout, predict_clips

    model = init_recognizer(args.config, args.checkpoint, device=args.device)
    samples = load_skeletons(args.input, frame_dir=args.frame_dir, split=args.split, layout=model_layout(model))
    if not windows:
        with _naming(args.input):
            results = predict_clips(model, samples, topk=args.topk)
        for r in results:
            print(f'{_shown(r["frame_dir"])} ({r["total_frames"]} frames):')
            for k, p in enumerate(r['topk'], 1):
                print(
                    f'  {k}. {p.name if p.name is not None else "class " + str(p.label)} '
                    f'(label {p.label}): {p.score:.4f}'
                )
        if args.out:
            from pyskl.apis.windows import write_rows

            write_rows(args.out, _clip_rows(results), ['frame_dir', 'rank', 'label', 'name', 'score'])
            print(f'wrote {args.out}')
        return 0

    from pyskl.apis.windows import plot_window_scores, sliding_window_predict, write_segments

    from pyskl.apis.windows import default_window

    window = None if args.window == 'clip_len' else args.window  # None: the config's clip_len
    clip_len = default_window(model) if args.resample else None
    results = []
    for sample in samples:
        with _naming(args.input):
            r = sliding_window_predict(
                model,
                sample,
                window=window,
                stride=args.stride,
                smooth=args.smooth or 1,
                batch_size=args.batch_size,
                clip_len=clip_len,
            )
        results.append(r)
        print(
            f'{_shown(r.frame_dir)} ({r.total_frames} frames): {len(r.starts)} windows of {r.window} frames, '
            f'stride {r.stride}, smooth {r.smooth}'
            + (f', each resampled to {clip_len}' if clip_len else '')
            + f'; {len(r.segments)} segment(s):'
        )
        for seg in r.segments:
            name = seg['name'] if seg['name'] is not None else f'class {seg["label"]}'
            print(f'  [{seg["start"]:>6}, {seg["end"]:>6})  {name} (label {seg["label"]}): {seg["score"]:.4f}')
        if args.plot:
            path = _plot_path(args.plot, r.frame_dir, len(samples) > 1)
            plot_window_scores(path, r, model.classes)
            print(f'wrote {path}')
    if args.out:
        write_segments(args.out, results)
        print(f'wrote {args.out}')
    return 0

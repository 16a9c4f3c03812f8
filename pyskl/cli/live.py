"""``pyskl live CKPT --source 0|VIDEO|URL``: live action recognition from a camera, a video file or a stream URL
(OpenCV capture), with MediaPipe poses, a skeleton + top-k overlay in a window (``--show``) or a video (``--out``),
and the achieved FPS and latencies printed at the end.

    pyskl live CKPT [--config CFG] --source 0|video.mp4|rtsp://...|http://... [--window W] [--stride S]
        [--smooth K] [--topk K] [--max-persons M] [--out out.mp4] [--show] [--max-frames N] [--sync]
        [--pose mediapipe|MODULE:CLASS] [--model-complexity 0|1] [--device cpu]

The model must be a 2D model of the pose estimator's layout (MediaPipe: COCO-17, e.g. the ``*_hrnet`` configs).
Recognition runs in a worker thread; when it is slower than the frames, windows are dropped (the newest wins), so
the capture never stalls (``--sync`` recognises every window, as ``pyskl predict --window`` does). Library:
:mod:`pyskl.apis.live`, :mod:`pyskl.apis.streaming`; docs/predict.md.
"""

import argparse
from typing import List, Optional

from pyskl.core.fileio import check_output_path

from .main import command_parser
from .predict import MAX_WINDOW

#: Most persons tracked per frame.
MAX_PERSONS = 100


def build_parser(parser: Optional[argparse.ArgumentParser] = None) -> argparse.ArgumentParser:
    p = parser or command_parser('live', description=__doc__.split('\n\n')[0])
    p.add_argument('checkpoint', help='pyskl checkpoint (its stored config is used) or weights with --config')
    p.add_argument('--config', help='config file (needed for weights that store none)')
    p.add_argument('--source', default='0', help='camera index (default 0), video file, or rtsp:// / http:// URL')
    p.add_argument('--window', type=int, help="frames per window (default: the config's clip_len)")
    p.add_argument('--stride', type=int, help='frames between recognitions (default W // 2)')
    p.add_argument('--smooth', type=int, default=1, help='average the scores of the last K windows (default 1)')
    p.add_argument('--topk', type=int, default=3, help='classes shown (default 3)')
    p.add_argument('--max-persons', type=int, help="person slots (default: the config's num_person, 2)")
    p.add_argument('--out', help='write the overlaid frames to this .mp4')
    p.add_argument('--show', action='store_true', help='show the overlaid frames in a window (q / Esc quits)')
    p.add_argument('--max-frames', type=int, help='stop after N frames')
    p.add_argument('--sync', action='store_true', help='recognise every window in the capture loop (no dropping)')
    p.add_argument(
        '--pose',
        default='mediapipe',
        help="pose estimator: a registered name (default 'mediapipe', the pose extra) or MODULE:CLASS, "
        'an importable PoseEstimator subclass',
    )
    p.add_argument('--model-complexity', type=int, default=1, choices=(0, 1), help='MediaPipe model (default 1)')
    p.add_argument('--device', default='cpu', help="'cpu', 'cuda', 'cuda:1', ...")
    return p


def build_estimator(name: str, model_complexity: int = 1):
    """A registered pose estimator (``'mediapipe'``) or ``MODULE:CLASS`` (a PoseEstimator subclass, built
    without arguments)."""
    from pyskl.datasets.pose_extraction import PoseEstimator, build_pose_estimator

    if ':' not in name:
        return build_pose_estimator(name, **({'model_complexity': model_complexity} if name == 'mediapipe' else {}))
    import importlib

    module, _, cls_name = name.partition(':')
    try:
        cls = getattr(importlib.import_module(module), cls_name)
    except (ImportError, AttributeError) as e:
        raise ValueError(f'--pose {name}: cannot import it ({e})') from None
    if not (isinstance(cls, type) and issubclass(cls, PoseEstimator)):
        raise ValueError(f'--pose {name}: not a PoseEstimator subclass')
    return cls()


def _ms(d: dict) -> str:
    if d['mean'] is None:
        return 'n/a'
    return f'mean {d["mean"]:.1f} ms, p50 {d["p50"]:.1f}, p95 {d["p95"]:.1f}, max {d["max"]:.1f}'


def format_stats(s: dict) -> List[str]:
    """The end-of-run report of :func:`pyskl.apis.live.run_live`'s statistics."""
    fps = f'{s["fps"]:.1f}' if s['fps'] else 'n/a'
    lines = [
        f'{s["frames"]} frames from {s["source"]}: {fps} fps processed (source {s["source_fps"]:.1f} fps; '
        f'{s["frames_skipped"]} skipped at the source, {s["decode_failures"]} failed to decode)',
        f'pose estimation: mean {s["pose_ms"]:.1f} ms/frame',
        f'windows: {s["windows_run"]} recognised, {s["windows_dropped"]} dropped (model busy) of '
        f'{s["windows_due"]}; frames covered by no recognised window: {s["frames_dropped"]}',
        f'recognition latency per window: {_ms(s["recognition_ms"])}',
        f'end-to-end latency per frame (arrival -> first prediction covering it): {_ms(s["latency_ms"])}',
        f"latency of a window's newest frame (arrival -> its prediction): {_ms(s['window_latency_ms'])}",
    ]
    if s['last'] is not None:
        top = ', '.join(f'{p.name if p.name is not None else p.label}: {p.score:.3f}' for p in s['last'].topk)
        lines.append(f'last prediction (frames {s["last"].start}-{s["last"].frame}): {top}')
    if s['out']:
        lines.append(f'wrote {s["frames_written"]} frames to {s["out"]}')
    if s['windows_run'] == 0:  # a truncated or too short source: say so rather than end as if all went well
        failed = f' ({s["decode_failures"]} failed to decode)' if s['decode_failures'] else ''
        why = (
            f'the source gave {s["frames"]} frame(s){failed}, fewer than one window (--window, default the clip_len)'
            if not s['windows_due']
            else f'all {s["windows_due"]} window(s) were dropped while the model was busy'
        )
        lines.append(f'warning: nothing was recognised: {why}')
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.out and not args.out.lower().endswith('.mp4'):
        raise ValueError(f'--out {args.out}: the output video must end in .mp4')
    if args.out:
        check_output_path(args.out, '--out', [('the --source video', args.source), ('the checkpoint', args.checkpoint)])
    for name in ('window', 'stride', 'smooth', 'topk', 'max_persons', 'max_frames'):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f'--{name.replace("_", "-")} must be >= 1, got {value}')
    # the buffers are (persons, window, V, C): a window of 10**9 frames or 10**8 persons asked for GiBs to TiBs
    for name, bound in (('window', MAX_WINDOW), ('stride', MAX_WINDOW), ('max_persons', MAX_PERSONS)):
        value = getattr(args, name)
        if value is not None and value > bound:
            raise ValueError(f'--{name.replace("_", "-")} must be at most {bound}, got {value}')

    from pyskl.apis.inference import init_recognizer
    from pyskl.apis.live import run_live

    model = init_recognizer(args.config, args.checkpoint, device=args.device)
    with build_estimator(args.pose, args.model_complexity) as estimator:
        stats = run_live(
            model,
            args.source,
            estimator,
            window=args.window,
            stride=args.stride,
            smooth=args.smooth,
            topk=args.topk,
            max_persons=args.max_persons,
            out=args.out,
            show=args.show,
            max_frames=args.max_frames,
            threaded=not args.sync,
        )
    print('\n'.join(format_stats(stats)))
    return 0

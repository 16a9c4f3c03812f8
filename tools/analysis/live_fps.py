"""Live recognition speed per backbone: frames per second a StreamingRecognizer (synchronous, every window
recognised) sustains on this machine, and the recognition latency of one window, at demo width and full width.

    OMP_NUM_THREADS=2 python tools/analysis/live_fps.py [--threads 2] [--frames 300] [--backbones stgcn++ ...]

Inputs are random 2-person NTU skeletons pushed frame by frame (pose estimation is not included: with
MediaPipe it is the bottleneck of `pyskl live`, about 40 ms per 1080p frame on one core). "demo" is each
backbone at base width 16 (MS-G3D 12) with 30-frame windows like the demo model (stride 15); "full" is the NTU-60
joint config at its published width with its 100-frame clips (stride 50). Prints one Markdown table
(docs/predict.md).
"""

import argparse
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = {
    'stgcn': 'stgcn/stgcn_pyskl_ntu60_xsub_3dkp',
    'stgcn++': 'stgcn++/stgcn++_ntu60_xsub_3dkp',
    'aagcn': 'aagcn/aagcn_pyskl_ntu60_xsub_3dkp',
    'msg3d': 'msg3d/msg3d_pyskl_ntu60_xsub_3dkp',
    'dgstgcn': 'dgstgcn/ntu60_xsub_3dkp',
    'ctrgcn': 'ctrgcn/ctrgcn_pyskl_ntu60_xsub_3dkp',
    'protogcn': 'protogcn/ntu60_xsub_3dkp',
}


def measure(name: str, demo: bool, frames: int) -> dict:
    import numpy as np

    from pyskl.apis import init_recognizer
    from pyskl.apis.streaming import StreamingRecognizer

    options = {}
    window = 100
    if demo:
        width = 12 if name == 'msg3d' else 16
        options = {'model.backbone.base_channels': width, 'model.cls_head.in_channels': 4 * width}
        window = 30
    model = init_recognizer(os.path.join(REPO, 'configs', CONFIGS[name], 'j.py'), cfg_options=options)
    rng = np.random.default_rng(0)
    base = rng.normal(0, 0.3, (2, 25, 3)).astype(np.float32)
    rec = StreamingRecognizer(model, window=window, stride=window // 2, track=False)
    for t in range(window):  # warm-up: one window
        rec.push(base + 0.01 * t, np.ones((2, 25), np.float32))
    rec = StreamingRecognizer(model, window=window, stride=window // 2, track=False)
    start = time.perf_counter()
    for t in range(frames):
        rec.push(base + 0.01 * np.sin(t / 10), np.ones((2, 25), np.float32))
    seconds = time.perf_counter() - start
    stats = rec.stats()
    return dict(fps=frames / seconds, windows=stats['windows_run'], window_ms=stats['recognition_ms']['mean'], W=window)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--frames', type=int, default=300)
    parser.add_argument('--backbones', nargs='+', choices=list(CONFIGS), default=list(CONFIGS))
    args = parser.parse_args(argv)
    if args.frames < 150:
        parser.error('--frames must be >= 150 (one full-width window of 100 frames and one stride)')
    import torch

    torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, {args.threads} threads, {args.frames} frames pushed per run')
    print(
        '| backbone | demo: frames/s (W=30, S=15) | demo: ms per window | full: frames/s (W=100, S=50) '
        '| full: ms per window |'
    )
    print('|---|---|---|---|---|')
    for name in args.backbones:
        d, f = measure(name, True, args.frames), measure(name, False, args.frames)
        print(f'| {name} | {d["fps"]:.0f} | {d["window_ms"]:.1f} | {f["fps"]:.0f} | {f["window_ms"]:.1f} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

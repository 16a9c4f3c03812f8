"""Render one sample of an annotation pickle as a GIF or MP4.

    python tools/visualize_skeleton.py data/nturgbd/ntu60_3danno.pkl --frame-dir S001C001P001R001A001 \
        --out vis.gif [--video S001C001P001R001A001_rgb.avi] [--layout nturgb+d] [--fps 30]

2D skeletons (``keypoint`` + ``keypoint_score``, pixels) are drawn over the source video when
``--video`` is given, else on a blank canvas of ``img_shape``; 3D skeletons are drawn in an
orthographic view (``--azimuth`` degrees about the vertical axis).
"""
import argparse


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Draw a skeleton sequence from an annotation pickle.')
    p.add_argument('ann_file', help='PYSKL annotation pickle')
    p.add_argument('--frame-dir', required=True, help='the sample to draw (its frame_dir)')
    p.add_argument('--out', required=True, help='output .gif or .mp4')
    p.add_argument('--video', help='source video to draw on (2D only)')
    p.add_argument('--layout', help='skeleton layout (default: guessed from the joint count)')
    p.add_argument('--fps', type=float, default=30.0)
    p.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'), help='output size')
    p.add_argument('--score-thr', type=float, default=0.3)
    p.add_argument('--azimuth', type=float, default=0.0, help='3D view angle about the vertical axis (degrees)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from pyskl.datasets.io import safe_load_pickle
    from pyskl.utils.visualize import draw_skeletons, write_video

    data = safe_load_pickle(args.ann_file)
    anns = data['annotations'] if isinstance(data, dict) else data
    match = [a for a in anns if a.get('frame_dir') == args.frame_dir]
    if not match:
        raise SystemExit(f'error: {args.ann_file}: no sample with frame_dir={args.frame_dir!r}')
    ann = match[0]
    frames = None
    if args.video:
        from pyskl.datasets.pose_extraction import VideoFrames
        try:
            frames = list(VideoFrames(args.video, size=args.size))
        except ValueError as e:
            raise SystemExit(f'error: {e}')
    try:
        images = draw_skeletons(ann['keypoint'], layout=args.layout, keypoint_score=ann.get('keypoint_score'),
                                frames=frames, img_shape=ann.get('img_shape') if 'keypoint_score' in ann else None,
                                size=args.size, score_thr=args.score_thr, azimuth=args.azimuth)
        write_video(images, args.out, fps=args.fps)
    except (ValueError, KeyError) as e:
        raise SystemExit(f'error: {args.ann_file}: sample {args.frame_dir!r}: {e}')
    print(f'wrote {len(images)} frames to {args.out}')


if __name__ == '__main__':
    main()

"""Video -> 2D poses (MediaPipe, single person) -> skeleton recognizer -> video with the skeleton and
the top-5 actions.

    python demo/demo_skeleton.py VIDEO OUT.mp4 --config CFG --checkpoint CKPT \
        [--label-map tools/data/label_map/nturgbd_120.txt] [--device cpu] [--short-side 480] \
        [--out-pose poses.pkl --label K] [--cfg-options KEY=VALUE ...]

CFG must be a 2D COCO-17 skeleton config (``coco`` layout, pixel keypoints + scores, e.g. the HRNet
configs); poses come from the ``pose`` extra (``pip install -e '.[pose]'`` or
``bash tools/setup_env.sh pose``). OUT can be ``.mp4`` or ``.gif``.
"""

import argparse
import os.path as osp


def parse_args(argv=None):
    from mmengine.config import DictAction

    p = argparse.ArgumentParser(description='Skeleton-based action recognition demo on a video.')
    p.add_argument('video', help='input video')
    p.add_argument('out', help='output video (.mp4 or .gif)')
    p.add_argument('--config', help='2D COCO-17 recognizer config (default: the config stored in the checkpoint)')
    p.add_argument('--checkpoint', required=True, help='recognizer weights')
    p.add_argument('--label-map', help='class names, one per line (default: class indices)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--short-side', type=int, default=480, help='short side of the output video (pixels)')
    p.add_argument('--model-complexity', type=int, default=1, choices=(0, 1), help='MediaPipe model')
    p.add_argument(
        '--out-pose',
        help='also write the extracted poses as a PYSKL annotation pickle (needs --label: the class of the video)',
    )
    p.add_argument('--label', type=int, help='class index stored with --out-pose')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides KEY=VALUE')
    args = p.parse_args(argv)
    if args.out_pose and args.label is None:
        p.error('--out-pose needs --label (the class index of this video), so the pickle carries a true label')
    return args


def main(argv=None):
    args = parse_args(argv)
    from pyskl.apis.inference import inference_recognizer, init_recognizer
    from pyskl.core.io import dump_pickle
    from pyskl.datasets.pose_extraction import VideoFrames, build_pose_estimator, extract_video
    from pyskl.core.label_map import load_label_map
    from pyskl.apis.visualize import draw_skeletons, draw_text, write_video

    try:
        estimator = build_pose_estimator('mediapipe', model_complexity=args.model_complexity)
    except ImportError as e:
        raise SystemExit(f'error: {e}')
    with estimator:
        try:
            ann = extract_video(args.video, estimator, progress=True)
        except ValueError as e:
            raise SystemExit(f'error: {e}')
    fps, found = ann.pop('fps'), ann.pop('num_detected')
    print(f'{args.video}: person found in {found}/{ann["total_frames"]} frames')
    ann.update(frame_dir=osp.splitext(osp.basename(args.video))[0], label=-1)
    if args.out_pose:
        dump_pickle(dict(split=dict(all=[ann['frame_dir']]), annotations=[dict(ann, label=args.label)]), args.out_pose)

    model = init_recognizer(args.config, args.checkpoint, device=args.device, cfg_options=args.cfg_options)
    num_classes = int(model.cfg.model.cls_head.num_classes)
    names = (
        load_label_map(args.label_map, num_classes)
        if args.label_map
        else model.classes or [f'class {i}' for i in range(num_classes)]
    )
    results = inference_recognizer(model, ann, topk=5)
    lines = [f'{names[label]}: {score:.3f}' for label, score, _ in results]
    for label, score, _ in results:
        print(f'top: {label} {names[label]} {score:.4f}')

    h, w = ann['img_shape']
    scale = args.short_side / min(h, w)
    size = (int(round(h * scale / 2)) * 2, int(round(w * scale / 2)) * 2)
    frames = draw_skeletons(
        ann['keypoint'],
        layout='coco',
        keypoint_score=ann['keypoint_score'],
        frames=VideoFrames(args.video, size=size),
        img_shape=(h, w),
        size=size,
    )
    write_video([draw_text(f, lines) for f in frames], args.out, fps=fps)
    print(f'wrote {len(frames)} frames to {args.out}')


if __name__ == '__main__':
    main()

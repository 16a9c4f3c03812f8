"""``pyskl visualize`` (``tools/visualize_skeleton.py``): render one sample of an annotation pickle as a GIF or MP4.

    pyskl visualize data/nturgbd/ntu60_3danno.pkl --frame-dir S001C001P001R001A001 \\
        --out vis.gif [--video S001C001P001R001A001_rgb.avi] [--layout nturgb+d | LAYOUT.json] [--fps 30] \\
        [--pred result.pkl --split xsub_val [--label-map MAP] [--topk 3]]

2D skeletons (``keypoint`` + ``keypoint_score``, pixels) are drawn over the source video when
``--video`` is given, else on a blank canvas of ``img_shape``; 3D skeletons are drawn in an
orthographic view (``--azimuth`` degrees about the vertical axis). ``--layout`` takes a layout name or a
user-defined layout as JSON (a file, or the text itself): ``{"num_node": 5, "inward": [[1, 0], [2, 1], [3, 0],
[4, 3]], "center": 0}``. ``--pred`` captions every frame with the top-k predictions of a result file
(``pyskl test --out`` / ``--dump``) for this sample and its true class; the sample's row is found by
``frame_dir`` (dumps) or by its position in ``--split`` (PYSKL result files hold the split's samples in order).
"""

import json
from typing import List, Optional

import numpy as np

from pyskl.core.fileio import check_output_path

from .base import command_parser, finite_float, positive_float, positive_int


def build_parser(parser=None):
    p = (
        parser
        if parser is not None
        else command_parser('visualize', 'Draw a skeleton sequence from an annotation pickle.')
    )
    p.add_argument('ann_file', help='PYSKL annotation pickle')
    p.add_argument('--frame-dir', required=True, help='the sample to draw (its frame_dir)')
    p.add_argument('--out', required=True, help='output .gif or .mp4')
    p.add_argument('--video', help='source video to draw on (2D only)')
    p.add_argument(
        '--layout',
        help='skeleton layout: a name, or a JSON file / JSON text with num_node, inward, '
        'center (default: guessed from the joint count)',
    )
    p.add_argument('--pred', help='result file (tools/test.py --out or --dump) to caption the frames with')
    p.add_argument('--split', help="the split the result file was tested on (to find the sample's row)")
    p.add_argument('--label-map', help='class names, one per line (captions show names instead of indices)')
    p.add_argument('--topk', type=positive_int, default=3, help='predictions shown in the caption')
    p.add_argument('--fps', type=positive_float, default=30.0)
    p.add_argument('--size', type=positive_int, nargs=2, metavar=('H', 'W'), help='output size (at most 8192 each)')
    p.add_argument('--score-thr', type=finite_float, default=0.3)
    p.add_argument('--azimuth', type=finite_float, default=0.0, help='3D view angle about the vertical axis (degrees)')
    return p


#: Most bytes of frames visualize keeps in memory for a GIF (H x W x 3 per frame: Pillow holds every frame until it
#: writes the file); an MP4 is written frame by frame as the video is read and the skeletons drawn.
MAX_RENDER_BYTES = 4 << 30


def parse_layout(text):
    """A layout name, or a user-defined layout dict from a JSON file or JSON text."""
    if text is None or not (text.lstrip().startswith('{') or text.endswith('.json')):
        return text
    try:
        if text.lstrip().startswith('{'):
            layout = json.loads(text)
        else:
            with open(text, encoding='utf-8') as f:
                layout = json.load(f)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ValueError(f'--layout {text}: not a readable JSON layout ({type(e).__name__}: {e})') from None
    if not isinstance(layout, dict):
        raise ValueError(
            f'--layout {text}: a JSON layout is an object (num_node, edges, ...), got {type(layout).__name__}'
        )
    return layout


def caption(args, frame_dir, label):
    """Caption lines for ``frame_dir`` from the result file ``args.pred`` (top-k and the true class)."""
    from pyskl.core.label_map import load_label_map
    from pyskl.core.results import load_results, load_split_labels

    res = load_results(args.pred)
    if res.names is not None:
        names = res.names
    else:
        split = load_split_labels(args.ann_file, args.split)
        if len(split) != len(res):
            raise ValueError(
                f'{args.pred} has {len(res)} rows but {split.source} has {len(split)} samples: '
                'give the --split the results were tested on'
            )
        names = split.names
    if frame_dir not in names:
        raise ValueError(f'{args.pred}: no prediction for frame_dir={frame_dir!r}')
    scores = res.scores[names.index(frame_dir)]
    classes = load_label_map(args.label_map, res.num_classes) if args.label_map else None

    def name(k):
        return classes[k] if classes else f'class {k}'

    lines = [f'{i + 1}. {name(k)}: {scores[k]:.2f}' for i, k in enumerate(scores.argsort()[::-1][: args.topk])]
    if label is not None:
        lines.append(f'true: {name(int(label))}')
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pyskl.apis.predict import check_annotations
    from pyskl.apis.visualize import draw_text, iter_skeletons, write_video
    from pyskl.core.io import safe_load_pickle
    from pyskl.core.splits import check_ann_path, parse_file
    from pyskl.core.validation import identifier

    inputs = [('the annotation file', args.ann_file), ('the --video', args.video), ('--pred', args.pred)]
    check_output_path(args.out, '--out', inputs)
    layout = parse_layout(args.layout)
    check_ann_path(args.ann_file)
    anns, _ = parse_file(safe_load_pickle(args.ann_file), args.ann_file)
    index = next((i for i, a in enumerate(anns) if isinstance(a, dict) and identifier(a) == args.frame_dir), None)
    if index is None:
        raise ValueError(f'{args.ann_file}: no sample with frame_dir={args.frame_dir!r}')
    ann = anns[index]
    # the sample checked as the dataset checks it (shape, joints of a named layout, scores, img_shape, finite values)
    check_annotations([ann], args.ann_file, layout=layout, indices=[index], context='the sample')
    frames = None
    num_frames = int(np.shape(ann['keypoint'])[1]) if np.ndim(ann['keypoint']) == 4 else 0
    size = args.size
    if args.video:
        from pyskl.datasets.pose_extraction import VideoFrames

        frames = VideoFrames(args.video, size=args.size)  # decoded as the frames are drawn
        size = getattr(frames, 'shape', None) or size
    need = num_frames * int(size[0]) * int(size[1]) * 3 if size is not None else 0
    if args.out.lower().endswith('.gif') and need > MAX_RENDER_BYTES:
        raise ValueError(
            f'{args.ann_file}: sample {args.frame_dir!r}: {num_frames} frames of {size[0]}x{size[1]} would hold '
            f'{need / 2**30:.1f} GiB in memory for a GIF (at most {MAX_RENDER_BYTES / 2**30:.0f}); give a smaller '
            '--size H W, or write an .mp4 (streamed)'
        )
    lines = caption(args, args.frame_dir, ann.get('label')) if args.pred else None
    try:
        images = iter_skeletons(
            ann['keypoint'],
            layout=layout,
            keypoint_score=ann.get('keypoint_score'),
            frames=frames,
            img_shape=ann.get('img_shape') if 'keypoint_score' in ann else None,
            size=args.size,
            score_thr=args.score_thr,
            azimuth=args.azimuth,
        )
        if lines:
            images = (draw_text(img, lines) for img in images)
        write_video(images, args.out, fps=args.fps)  # every skeleton frame, or an error before anything is written
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f'{args.ann_file}: sample {args.frame_dir!r}: {e}') from e
    print(f'wrote {num_frames} frames to {args.out}')
    return 0

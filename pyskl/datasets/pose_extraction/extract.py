"""Videos -> PYSKL 2D annotations with a :class:`~.base.PoseEstimator`."""

import os.path as osp
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from .base import PoseEstimator
from .tracking import PoseTracker, select_tracks, track_poses
from .video import VideoFrames


def extract_video(
    path: str,
    estimator: PoseEstimator,
    progress: bool = False,
    max_persons: int = 2,
    tracker: Optional[PoseTracker] = None,
) -> dict:
    """Estimate the skeletons of every frame of ``path``.

    A single-person estimator (``estimator.max_persons == 1``) fills row 0. With a multi-person estimator the
    persons are tracked across frames (:class:`~.tracking.PoseTracker`, or ``tracker``) and the
    ``max_persons`` most active tracks are packed into the rows (:func:`~.tracking.select_tracks`), so a
    person keeps its row whatever order the estimator returns people in.

    Returns:
        dict: ``keypoint`` float32 ``(M, T, V, 2)`` in pixels, ``keypoint_score`` float32
        ``(M, T, V)`` (0 where nobody was found), ``total_frames`` T, ``img_shape`` and
        ``original_shape`` ``(H, W)``, ``fps``, ``num_detected`` (frames with a person), and for a
        multi-person estimator ``num_tracks``. ``M`` is at least 1.
    """
    from pyskl.core.layout import get_layout

    video = VideoFrames(path)
    num_node = get_layout(estimator.layout).num_node
    estimator.reset()
    kps, scores = [], []
    frames = iter(video)
    if progress:
        from tqdm import tqdm

        frames = tqdm(frames, total=len(video), desc=osp.basename(path), unit='frame', leave=False)
    for frame in frames:
        kp, score = estimator(frame)
        if kp.ndim != 3 or kp.shape[1:] != (num_node, 2) or score.shape != kp.shape[:2]:
            raise ValueError(
                f'{type(estimator).__name__} returned keypoint {kp.shape} / score {score.shape}; '
                f'expected (P, {num_node}, 2) / (P, {num_node})'
            )
        kps.append(kp)
        scores.append(score)
    estimator.reset()
    t = len(kps)
    extra = {}
    tracks = track_poses(kps, scores, tracker) if estimator.max_persons > 1 else []
    if tracks:
        keypoint, keypoint_score = select_tracks(tracks, t, max_persons)
        extra['num_tracks'] = len(tracks)
    else:
        keypoint = np.zeros((1, t, num_node, 2), np.float32)
        keypoint_score = np.zeros((1, t, num_node), np.float32)
        for i, (kp, score) in enumerate(zip(kps, scores)):
            keypoint[: len(kp[:1]), i] = kp[:1]
            keypoint_score[: len(kp[:1]), i] = score[:1]
    return dict(
        keypoint=keypoint,
        keypoint_score=keypoint_score,
        total_frames=t,
        img_shape=video.shape,
        original_shape=video.shape,
        fps=video.fps,
        num_detected=sum(len(k) > 0 for k in kps),
        **extra,
    )


def read_video_list(path: str) -> List[Tuple[str, int]]:
    """Lines ``<video path> <label>`` (blank lines and ``#`` comments skipped; relative paths are
    relative to the list's folder) -> ``[(path, label)]``."""
    out, root = [], osp.dirname(osp.abspath(path))
    with open(path) as f:
        for i, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit() or int(parts[1]) < 0:
                raise ValueError(
                    f'{path}: line {i}: expected "<video path> <label>" with an int label >= 0, got {line!r}'
                )
            video = parts[0] if osp.isabs(parts[0]) else osp.join(root, parts[0])
            out.append((video, int(parts[1])))
    if not out:
        raise ValueError(f'{path}: no videos listed')
    return out


def _read_split_file(path: str, names: Iterable[str]) -> Dict[str, List[str]]:
    """Lines ``<name> <split>`` (name = video file name without extension)."""
    names = list(names)
    known, split = set(names), {}
    with open(path) as f:
        for i, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(f'{path}: line {i}: expected "<name> <split>", got {line!r}')
            name = osp.splitext(osp.basename(parts[0]))[0]
            if name not in known:
                raise ValueError(f'{path}: line {i}: {parts[0]!r} is not in the video list')
            split.setdefault(parts[1], []).append(name)
    return split


def make_annotation_file(
    video_list: str, out: str, estimator: PoseEstimator, split_file: Optional[str] = None, progress: bool = True
) -> dict:
    """Extract every video of ``video_list`` and write a PYSKL pickle
    ``dict(split=..., annotations=[...])``.

    ``frame_dir`` is the video's file name without extension (must be unique). ``split`` comes from
    ``split_file`` (lines ``<name> <split>``), else every video is in split ``'all'``.

    Returns:
        dict: ``out``, ``num_videos``, ``detected`` (name -> fraction of frames with a person).
    """
    from pyskl.core.io import dump_pickle

    videos = read_video_list(video_list)
    names = [osp.splitext(osp.basename(v))[0] for v, _ in videos]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f'{video_list}: video names must be unique (they become frame_dir), repeated: {dup}')
    for v, _ in videos:
        if not osp.isfile(v):
            raise FileNotFoundError(f'{video_list}: video {v!r} not found')
    split = _read_split_file(split_file, names) if split_file else dict(all=list(names))
    annotations, detected = [], {}
    items = zip(videos, names)
    if progress:
        from tqdm import tqdm

        items = tqdm(list(items), desc='videos', unit='video')
    for (video, label), name in items:
        ann = extract_video(video, estimator)
        detected[name] = ann.pop('num_detected') / ann['total_frames']
        ann.pop('fps')
        ann.pop('num_tracks', None)
        annotations.append(dict(frame_dir=name, label=label, **ann))
    dump_pickle(dict(split=split, annotations=annotations), out)
    return dict(out=out, num_videos=len(annotations), detected=detected)

"""Draw skeleton sequences (2D or 3D, any :mod:`~pyskl.models.utils.graph` layout) and write them
as GIF (Pillow) or MP4 (OpenCV ``VideoWriter``, ``mp4v``).

Bones are the layout's graph edges; each person has its own colour. OpenCV (``cv2``, installed with
mmcv-lite) is imported when drawing, never at ``import pyskl``.
"""

import itertools
import os
import os.path as osp
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from pyskl.core.layout import guess_layout

__all__ = ['PERSON_COLORS', 'draw_skeletons', 'iter_skeletons', 'draw_text', 'open_mp4_writer', 'write_video']

#: RGB colour of person m (cycled).
PERSON_COLORS = ((255, 64, 64), (64, 160, 255), (64, 220, 64), (255, 200, 0), (220, 64, 255), (0, 220, 220))


def _project_3d(keypoint: np.ndarray, size: Tuple[int, int], azimuth: float, margin: float = 0.08) -> np.ndarray:
    """``(M, T, V, 3)`` camera-space points (x right, y up, z depth) -> ``(M, T, V, 2)`` pixels of
    a ``size = (H, W)`` canvas: rotate by ``azimuth`` degrees about the vertical axis, drop depth,
    flip y, and fit the non-zero joints of the whole sequence into the canvas."""
    a = np.deg2rad(azimuth)
    x = keypoint[..., 0] * np.cos(a) + keypoint[..., 2] * np.sin(a)
    y = -keypoint[..., 1]
    pts = np.stack([x, y], -1)
    valid = np.any(keypoint != 0, axis=-1)
    h, w = size
    if not valid.any():
        return np.zeros(pts.shape, np.float32)
    lo, hi = pts[valid].min(0), pts[valid].max(0)
    scale = (1 - 2 * margin) * min(w / max(hi[0] - lo[0], 1e-6), h / max(hi[1] - lo[1], 1e-6))
    centre = (lo + hi) / 2
    out = (pts - centre) * scale + np.array([w / 2, h / 2])
    out[~valid] = 0
    return out.astype(np.float32)


#: Largest output side (pixels) a ``size`` may ask for.
MAX_SIDE = 8192
#: Largest side of an output whose size comes from the data (``img_shape`` or the extent of the points): larger
#: ones are scaled down, so that a sample with huge coordinates cannot ask for a canvas of many GiB.
MAX_DEFAULT_SIDE = 1920


def _fit(img_shape) -> Tuple[int, int]:
    """``img_shape`` ``(h, w)`` as an output size, scaled down to :data:`MAX_DEFAULT_SIDE` when larger."""
    h, w = float(img_shape[0]), float(img_shape[1])
    scale = min(1.0, MAX_DEFAULT_SIDE / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


def draw_skeletons(*args, **kwargs) -> List[np.ndarray]:
    """:func:`iter_skeletons`'s frames as a list (same arguments): T uint8 RGB images ``(H, W, 3)``."""
    return list(iter_skeletons(*args, **kwargs))


def iter_skeletons(
    keypoint: np.ndarray,
    layout: Union[str, dict, None] = None,
    keypoint_score: Optional[np.ndarray] = None,
    frames: Optional[Iterable[np.ndarray]] = None,
    img_shape: Optional[Tuple[int, int]] = None,
    size: Optional[Tuple[int, int]] = None,
    score_thr: float = 0.3,
    azimuth: float = 0.0,
    thickness: Optional[int] = None,
) -> Iterator[np.ndarray]:
    """Render a skeleton sequence frame by frame, lazily: the arguments are checked at the call, each frame is
    drawn when the returned iterator reaches it (a writer can stream a long sequence without holding it).

    Args:
        keypoint: ``(M, T, V, C)``: 2D pixel coordinates (x, y) in an ``img_shape`` image (C = 2,
            or C = 3 = (x, y, score) when ``keypoint_score`` is given), or, when C = 3 and
            ``keypoint_score`` is None, camera-space (x, y, z) points (3D, e.g. NTU in metres).
        layout: Layout name / dict; default guessed from V.
        keypoint_score: ``(M, T, V)`` joint confidences (2D); joints below ``score_thr`` are not drawn.
        frames: Background RGB frames ``(H, W, 3)``, one per time step (e.g. the source video, a
            ``VideoFrames``: read as the frames are drawn; an iterable without ``len`` is checked for length as
            it is read); default a dark canvas.
        img_shape: ``(H, W)`` of the 2D coordinates (default: the frames' shape, else the bounding
            box of the points).
        size: ``(H, W)`` of the output, at most :data:`MAX_SIDE` each (default: ``img_shape`` scaled down to at
            most :data:`MAX_DEFAULT_SIDE`; 3D: 480 x 480). 2D points are scaled.
        azimuth: 3D only: view rotation about the vertical axis, in degrees.

    Returns:
        an iterator over T uint8 RGB images ``(H, W, 3)``.
    """

    from pyskl.core.layout import get_layout

    if size is not None:
        size = tuple(size)
        if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and 1 <= v <= MAX_SIDE for v in size):
            raise ValueError(f'size must be (H, W), two ints in 1..{MAX_SIDE}, got {size!r}')
    for name, value in (('score_thr', score_thr), ('azimuth', azimuth)):
        if not np.isfinite(value):
            raise ValueError(f'{name} must be a finite number, got {value!r}')
    keypoint = np.asarray(keypoint, dtype=np.float32)
    if keypoint.ndim != 4 or keypoint.shape[-1] not in (2, 3):
        raise ValueError(f'keypoint must be (M, T, V, C) with C in {{2, 3}}, got shape {keypoint.shape}')
    num_person, num_frames, num_joints, channels = keypoint.shape
    lay = get_layout(layout if layout is not None else guess_layout(num_joints))
    if lay.num_node != num_joints and lay.stored.num_node == num_joints:
        lay = lay.stored  # 'coco_new' data is stored (and drawn) as COCO-17
    if lay.num_node != num_joints:
        raise ValueError(f'keypoint has V={num_joints} joints but layout {lay.name!r} has {lay.num_node}')
    if frames is not None and hasattr(frames, '__len__') and len(frames) < num_frames:
        raise ValueError(f'{len(frames)} background frames for {num_frames} skeleton frames')
    is_3d = channels == 3 and keypoint_score is None
    if is_3d and frames is not None:
        raise ValueError(
            '3D skeletons (C = 3 without keypoint_score) have no pixel coordinates to draw '
            'over a video; give 2D keypoints with keypoint_score'
        )
    if is_3d:
        size = size if size is not None else (480, 480)
        pts = _project_3d(keypoint, size, azimuth)
        score = np.where(np.any(keypoint != 0, axis=-1), 1.0, 0.0)
    else:
        pts = keypoint[..., :2]
        if keypoint_score is not None:
            score = np.asarray(keypoint_score, dtype=np.float32)
            if score.shape != keypoint.shape[:3]:
                raise ValueError(f'keypoint_score must be (M, T, V) = {keypoint.shape[:3]}, got {score.shape}')
        else:
            score = np.where(np.any(pts != 0, axis=-1), 1.0, 0.0)
        if img_shape is None:
            if frames is not None:
                first, frames = _peek(frames)
                img_shape = first.shape[:2]
            else:
                seen = pts[score > score_thr]
                extent = (int(seen[:, 1].max()) + 20, int(seen[:, 0].max()) + 20) if len(seen) else (480, 640)
                img_shape = (max(1, extent[0]), max(1, extent[1]))
        size = size if size is not None else _fit(img_shape)
        pts = pts * np.array([size[1] / img_shape[1], size[0] / img_shape[0]], dtype=np.float32)
    thick = thickness or max(2, round(min(size) / 160))
    return _draw(pts, score, score_thr, lay.inward, frames, size, thick)


def _peek(frames: Iterable[np.ndarray]) -> Tuple[np.ndarray, Iterable[np.ndarray]]:
    """The first of ``frames`` and ``frames`` again (an iterator is not consumed by the look)."""
    if isinstance(frames, (list, tuple)):
        if not frames:
            raise ValueError('no background frames')
        return frames[0], frames
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise ValueError('no background frames')
    return first, itertools.chain([first], it)


def _draw(pts, score, score_thr, inward, frames, size, thick) -> Iterator[np.ndarray]:
    """The frames of :func:`iter_skeletons` (arguments checked there): pixels ``pts`` ``(M, T, V, 2)``."""
    import cv2

    num_person, num_frames = pts.shape[:2]
    h, w = size
    background = iter(frames) if frames is not None else None
    for t in range(num_frames):
        if background is not None:
            frame = next(background, None)
            if frame is None:
                raise ValueError(f'{t} background frames for {num_frames} skeleton frames')
            canvas = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
            if canvas.shape[:2] != (h, w):
                canvas = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
        else:
            canvas = np.full((h, w, 3), 24, np.uint8)
        for m in range(num_person):
            color = PERSON_COLORS[m % len(PERSON_COLORS)]
            ok = score[m, t] > score_thr
            p = np.round(pts[m, t]).astype(np.int32)
            for i, j in inward:
                if ok[i] and ok[j]:
                    cv2.line(
                        canvas, (int(p[i, 0]), int(p[i, 1])), (int(p[j, 0]), int(p[j, 1])), color, thick, cv2.LINE_AA
                    )
            for v in np.flatnonzero(ok):
                cv2.circle(canvas, (int(p[v, 0]), int(p[v, 1])), thick + 1, (255, 255, 255), -1, cv2.LINE_AA)
        yield canvas


def draw_text(frame: np.ndarray, lines: Sequence[str], origin: Tuple[int, int] = (10, 10)) -> np.ndarray:
    """Write ``lines`` (top-left, one per row, on a dark box) onto a copy of the RGB ``frame``."""
    import cv2

    img = np.ascontiguousarray(frame).copy()
    scale = max(0.5, img.shape[0] / 720)
    thick = max(1, round(scale * 1.5))
    (_, th), _ = cv2.getTextSize('Ag', cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    step = int(th * 1.8)
    width = max(cv2.getTextSize(s, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] for s in lines) if lines else 0
    x, y = origin
    if lines:
        box = img[y : y + step * len(lines) + th // 2, x : x + width + 2 * th]
        box[:] = (box * 0.4).astype(np.uint8)
    for k, s in enumerate(lines):
        cv2.putText(
            img,
            s,
            (x + th, y + step * (k + 1) - th // 3),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            thick,
            cv2.LINE_AA,
        )
    return img


#: Highest frame rate written (a GIF frame lasts at least 1 ms; OpenCV refuses absurd rates with a bare failure).
MAX_FPS = 1000


def _check_fps(fps) -> None:
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (np.isfinite(fps) and 0 < fps <= MAX_FPS):
        raise ValueError(f'fps must be a number in (0, {MAX_FPS}], got {fps!r}')


def open_mp4_writer(out: str, fps: float, size: Tuple[int, int], name: Optional[str] = None):
    """An OpenCV ``VideoWriter`` (mp4v) for ``size = (H, W)`` BGR frames (frames written one at a time, e.g. live);
    ``name`` is the path errors name (the final one, when ``out`` is a temporary file beside it).

    Raises:
        ValueError: ``fps`` outside (0, :data:`MAX_FPS`].
        OSError: OpenCV cannot open a writer for ``out`` (its folder missing or not writable, a directory).
    """
    import cv2

    _check_fps(fps)
    h, w = size
    writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*'mp4v'), float(fps), (int(w), int(h)))
    if not writer.isOpened():
        folder = osp.dirname(osp.abspath(out))
        reason = (
            'is a directory'
            if osp.isdir(out)
            else (f'folder {folder} does not exist' if not osp.isdir(folder) else 'not writable there')
        )
        raise OSError(f'{name or out}: OpenCV cannot open an .mp4 writer ({reason})')
    return writer


def write_video(frames: Iterable[np.ndarray], out: str, fps: float = 30.0) -> str:
    """Write RGB frames ``(H, W, 3)`` to ``out``: ``.gif`` with Pillow (which holds every frame until it writes),
    ``.mp4`` with OpenCV (mp4v), one frame at a time as ``frames`` yields them. The file is written under a
    temporary name and renamed when complete: a failure midway (a frame of another size, a short background
    video) leaves no partial file and an existing ``out`` as it was. Returns ``out``."""
    _check_fps(fps)
    ext = osp.splitext(out)[1].lower()
    if ext not in ('.gif', '.mp4'):
        raise ValueError(f'output must end with .gif or .mp4, got {out!r}')
    if osp.isdir(out):
        raise ValueError(f'{out}: is a directory; give a file name')
    first, frames = _peek_frames(frames)
    h, w = first.shape[:2]
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    from pyskl.core.fileio import commit_temp, temp_path

    tmp = temp_path(out) + ext  # OpenCV picks the container by the extension

    def checked():
        for f in frames:
            if f.shape[:2] != (h, w):
                raise ValueError(f'all frames must be {h}x{w}, got {f.shape[:2]}')
            yield np.ascontiguousarray(f, dtype=np.uint8)

    try:
        if ext == '.gif':
            from PIL import Image

            images = [Image.fromarray(f) for f in checked()]
            duration = max(1, round(1000 / fps))
            images[0].save(tmp, format='GIF', save_all=True, append_images=images[1:], duration=duration, loop=0)
        else:
            import cv2

            writer = open_mp4_writer(tmp, fps, (h, w), name=out)
            try:
                for f in checked():
                    writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            finally:
                writer.release()
        commit_temp(tmp, out)
    finally:
        if osp.exists(tmp):
            os.unlink(tmp)
    return out


def _peek_frames(frames: Iterable[np.ndarray]) -> Tuple[np.ndarray, Iterable[np.ndarray]]:
    try:
        return _peek(frames)
    except ValueError:
        raise ValueError('no frames to write') from None

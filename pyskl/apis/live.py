"""Live recognition from a camera, a video file or a stream URL: OpenCV capture -> pose estimator ->
:class:`~pyskl.apis.streaming.StreamingRecognizer` -> overlay (skeleton + top-k) in a window and/or a video file.

Sources (:func:`open_source`): a camera index (``'0'``), a video file, or a URL (``rtsp://``, ``http://``,
``https://``, ...), all through ``cv2.VideoCapture``. A file is read frame by frame, every frame processed. A camera or
URL is live: a reader thread keeps only the newest frame, so when pose estimation and drawing are slower than the
camera, frames are skipped at the source (counted as ``frames_skipped``) instead of queueing up. Recognition runs in
the recogniser's worker thread (latest window wins), so neither stalls the capture loop.

Degrading: a frame of a file that fails to decode is skipped (``decode_failures``; the file ends after three
failures in a row or at the end its header states); a live source that fails to deliver a frame for
``read_timeout`` seconds ends the run. Either way the output video is closed and the statistics are returned.
"""

import threading
import time
from typing import Callable, Optional, Tuple, Union

import numpy as np

__all__ = ['parse_source', 'FrameSource', 'open_source', 'draw_overlay', 'run_live']

URL_SCHEMES = ('rtsp://', 'rtmp://', 'http://', 'https://', 'udp://', 'tcp://')


def parse_source(source: Union[str, int]) -> Union[str, int]:
    """``'0'`` -> camera index 0; anything else stays a path or URL."""
    if isinstance(source, int):
        return source
    return int(source) if str(source).isdigit() else str(source)


class FrameSource:
    """RGB frames of ``cv2.VideoCapture(source)`` with their arrival time (``time.perf_counter``).

    Args:
        source: camera index, video file or URL (:func:`parse_source`).
        live (bool | None): keep only the newest frame (reader thread); None: True for cameras and URLs.
        read_timeout (float): live sources: seconds without a new frame before the source counts as ended.

    Attributes: ``fps`` (the source's, 0 when unknown), ``frames_read``, ``frames_skipped`` (live: frames replaced
    by a newer one before they were taken), ``decode_failures`` (failed reads).
    """

    def __init__(self, source, live: Optional[bool] = None, read_timeout: float = 2.0):
        import os

        import cv2

        self.source = parse_source(source)
        is_url = isinstance(self.source, str) and self.source.lower().startswith(URL_SCHEMES)
        if isinstance(self.source, str) and not is_url and not os.path.isfile(self.source):
            raise FileNotFoundError(f'{self.source}: no such video file (give a camera index, a file or a URL)')
        self.live = (isinstance(self.source, int) or is_url) if live is None else bool(live)
        self._cap = cv2.VideoCapture(self.source)
        if not self._cap.isOpened():
            self._cap.release()
            raise OSError(f'{self.source}: OpenCV cannot open this source')
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.read_timeout = float(read_timeout)
        self.frames_read = self.frames_skipped = self.decode_failures = 0
        self._cond = threading.Condition()
        self._frame = None
        self._ended = False
        self._thread = None
        if self.live:
            self._thread = threading.Thread(target=self._reader, name='pyskl-capture', daemon=True)
            self._thread.start()

    def _grab(self):
        import cv2

        ok, frame = self._cap.read()
        if not ok or frame is None or frame.ndim != 3:
            return None
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), time.perf_counter()

    def _reader(self) -> None:
        last_ok = time.perf_counter()
        while not self._ended:
            item = self._grab()
            with self._cond:
                if item is None:
                    self.decode_failures += 1
                    if time.perf_counter() - last_ok > self.read_timeout:
                        self._ended = True
                    self._cond.notify_all()
            if item is None:
                time.sleep(0.01)  # a camera between frames, or a dropped connection: do not spin
                continue
            with self._cond:
                last_ok = item[1]
                self.frames_read += 1
                if self._frame is not None:
                    self.frames_skipped += 1
                self._frame = item
                self._cond.notify_all()

    def read(self) -> Optional[Tuple[np.ndarray, float]]:
        """The next frame (live: the newest one) as ``(RGB uint8 (H, W, 3), arrival time)``; None at the end."""
        if not self.live:
            import cv2

            for _ in range(3):  # a frame that fails to decode before the header's last frame: try the next one
                item = self._grab()
                if item is not None:
                    self.frames_read += 1
                    return item
                pos, total = self._cap.get(cv2.CAP_PROP_POS_FRAMES), self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
                if not total or pos >= total - 1:
                    return None  # the end of the file
                self.decode_failures += 1
            return None
        with self._cond:
            while self._frame is None and not self._ended:
                self._cond.wait(0.1)
            item, self._frame = self._frame, None
            return item

    def close(self) -> None:
        self._ended = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._cap.release()


def open_source(source, read_timeout: float = 2.0) -> FrameSource:
    """:class:`FrameSource` of a camera index, a file or a URL."""
    return FrameSource(source, read_timeout=read_timeout)


def draw_overlay(frame: np.ndarray, keypoint: np.ndarray, score: np.ndarray, slots, layout: str, lines) -> np.ndarray:
    """``frame`` with the persons ``keypoint`` ``(P, V, 2)`` / ``score`` ``(P, V)`` drawn in the colour of their slot
    (``slots``: one per person, -1 not drawn) and ``lines`` of text (:mod:`pyskl.apis.visualize`)."""
    from .visualize import draw_skeletons, draw_text

    kept = [(p, m) for p, m in enumerate(slots) if m >= 0]
    if kept:
        rows = max(m for _, m in kept) + 1
        kp = np.zeros((rows, 1) + keypoint.shape[1:], np.float32)
        sc = np.zeros((rows, 1, keypoint.shape[1]), np.float32)
        for p, m in kept:
            kp[m, 0], sc[m, 0] = keypoint[p], score[p]
        frame = draw_skeletons(kp, layout=layout, keypoint_score=sc, frames=[frame], img_shape=frame.shape[:2])[0]
    return draw_text(frame, list(lines))


def _prediction_lines(pred, fps: Optional[float]) -> list:
    lines = []
    if pred is None:
        lines.append('collecting frames...')
    else:
        for p in pred.topk:
            lines.append(f'{p.name if p.name is not None else "class " + str(p.label)}: {p.score:.2f}')
    if fps:
        lines.append(f'{fps:.1f} fps')
    return lines


def run_live(
    model,
    source,
    estimator,
    window: Optional[int] = None,
    stride: Optional[int] = None,
    smooth: int = 1,
    topk: int = 3,
    max_persons: Optional[int] = None,
    out: Optional[str] = None,
    show: bool = False,
    max_frames: Optional[int] = None,
    threaded: bool = True,
    read_timeout: float = 2.0,
    on_prediction: Optional[Callable] = None,
) -> dict:
    """Run the live loop until the source ends, ``max_frames`` frames were processed, or ``q`` / Esc is pressed in
    the ``show`` window.

    Args:
        model: A 2D recognizer whose layout is the estimator's (e.g. COCO-17 for MediaPipe).
        source: camera index, video file or URL (:class:`FrameSource`).
        estimator: A :class:`~pyskl.datasets.pose_extraction.PoseEstimator`; persons are tracked into slots when it
            returns several (``max_persons > 1``), else its person is slot 0.
        window, stride, smooth, topk, max_persons: As :class:`~pyskl.apis.streaming.StreamingRecognizer`.
        out (str | None): Write the overlaid frames to this ``.mp4`` (at the source's fps, 30 when unknown).
        show (bool): Show the overlaid frames in an OpenCV window.
        threaded (bool): Recognise in a worker thread (windows dropped when it is busy); False: every window
            inside the loop (as offline).
        on_prediction (callable | None): Called with every :class:`~pyskl.apis.streaming.StreamPrediction`.

    Returns:
        dict: the recogniser's :meth:`~pyskl.apis.streaming.StreamingRecognizer.stats` plus ``source``,
        ``source_fps``, ``frames_read``, ``frames_skipped``, ``decode_failures``, ``frames_written``, ``wall_fps``
        (frames processed / wall seconds of the loop), ``pose_ms`` (mean pose estimation time), ``predictions``
        and ``last`` (the last prediction, or None).
    """
    from pyskl.core.layout import get_layout

    from .predict import model_layout
    from .streaming import StreamingRecognizer

    layout = model_layout(model)
    reads = None if layout is None else get_layout(layout).stored.name  # 'coco_new' reads COCO-17 ('coco')
    if reads is not None and reads != estimator.layout:
        raise ValueError(
            f"the model's layout is {layout!r} (it reads {reads!r} skeletons) but the pose estimator gives "
            f"{estimator.layout!r} skeletons: use a model trained on the estimator's layout (MediaPipe: a coco / "
            '*_hrnet config)'
        )
    if max_frames is not None and max_frames < 1:
        raise ValueError(f'max_frames must be >= 1, got {max_frames}')
    cv2 = None
    if show or out:
        import cv2
    src = open_source(source, read_timeout)
    recog = writer = None
    count = {'predictions': 0}
    last = [None]

    def keep(pred):
        count['predictions'] += 1
        last[0] = pred
        if on_prediction is not None:
            on_prediction(pred)

    frames = written = 0
    first = None
    pose_time = 0.0
    shown = None
    start = time.perf_counter()
    try:
        estimator.reset()
        while max_frames is None or frames < max_frames:
            item = src.read()
            if item is None:
                break
            frame, arrival = item
            if recog is None:
                recog = StreamingRecognizer(
                    model,
                    window,
                    stride,
                    smooth,
                    max_persons,
                    topk,
                    frame.shape[:2],
                    threaded=threaded,
                    track=estimator.max_persons > 1,
                    callback=keep,
                )
            t0 = time.perf_counter()
            keypoint, score = estimator(frame)
            pose_time += time.perf_counter() - t0
            recog.push(keypoint, score, timestamp=arrival)
            frames += 1
            first = arrival if frames == 1 else first
            if out or show:
                fps = (frames - 1) / (arrival - first) if arrival > first else None
                image = cv2.cvtColor(
                    draw_overlay(
                        frame, keypoint, score, recog.slots, estimator.layout, _prediction_lines(last[0], fps)
                    ),
                    cv2.COLOR_RGB2BGR,
                )
                if out:
                    if writer is None:
                        from .visualize import open_mp4_writer

                        writer = open_mp4_writer(out, src.fps if 0 < src.fps <= 240 else 30.0, image.shape[:2])
                    writer.write(image)
                    written += 1
                if show:
                    try:
                        cv2.imshow('pyskl live', image)
                        shown = True
                        key = cv2.waitKey(1) & 0xFF
                    except cv2.error as e:
                        raise OSError(f'--show needs a display and an OpenCV build with GUI support ({e})') from None
                    if key in (ord('q'), 27):
                        break
    finally:
        wall = time.perf_counter() - start
        if recog is not None:
            recog.close()
        src.close()
        if writer is not None:
            writer.release()
        if shown:
            cv2.destroyAllWindows()
    if recog is None:
        raise ValueError(f'{src.source}: no frame could be read')
    stats = recog.stats()
    stats.update(
        source=src.source,
        source_fps=src.fps,
        frames_read=src.frames_read,
        frames_skipped=src.frames_skipped,
        decode_failures=src.decode_failures,
        frames_written=written,
        wall_fps=frames / wall if wall else None,
        pose_ms=1000 * pose_time / frames if frames else None,
        predictions=count['predictions'],
        last=last[0],
        out=out,
    )
    return stats

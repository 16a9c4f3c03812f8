"""Live recognition: skeletons pushed frame by frame, a prediction every ``S`` frames over the last ``W`` frames.

:class:`StreamingRecognizer` keeps a ring buffer of the last ``W`` frames. Once ``W`` frames have arrived it
recognises the buffer every ``S`` frames, i.e. the windows that start at frames ``0, S, 2S, ...`` -- exactly the
regular windows of :func:`pyskl.apis.windows.window_starts` (the offline tail window ``T - W`` has no live
counterpart: the stream has no known end). A window goes through the same code as offline
(:func:`~pyskl.apis.windows.window_inputs` then :func:`~pyskl.apis.windows.window_scores`), so its ``scores`` equal
the offline window's scores for the same frames.

Smoothing is causal: ``smoothed`` is the mean of the scores of the last ``smooth`` recognised windows (fewer at
the start). In synchronous mode this equals the offline centred average (:func:`~pyskl.apis.windows.smooth_scores`)
of the window ``smooth // 2`` windows earlier, once ``smooth`` windows exist.

Person slots (``track=True``): each frame's persons get track ids from a
:class:`~pyskl.datasets.pose_extraction.PoseTracker`; a track keeps its slot (row ``m < max_persons`` of the
buffer) while it lives. A new track takes, in this order, a slot whose track has ended (unseen for more than the
tracker's ``max_age`` frames), a slot never used, or the slot whose track was seen least recently (the most
recently active persons are kept); when every slot holds a person of the current frame the extra person is not
recorded. With ``track=False`` person ``p`` of a frame goes to slot ``p`` (a single-person estimator's person is
always slot 0, as :func:`~pyskl.datasets.pose_extraction.extract_video` puts it in row 0).
:attr:`StreamingRecognizer.slots` gives the slot of each person of the last frame. A window gives the model only
the slots that hold somebody in it (at least slot 0), as an offline sample holds only the persons found in it.

Threads and dropping (``threaded=True``): :meth:`StreamingRecognizer.push` only records the frame (tracking and a
copy into the buffer) and hands a due window to one worker thread through a queue of size one. When the worker is
still busy, a newer due window replaces the waiting one (latest window wins; the replaced window is counted as
dropped and never recognised), so ``push`` never waits for the model. A frame none of whose windows was recognised
is a dropped frame. ``push`` then returns the newest prediction finished since the previous call (``callback``
sees every one). ``threaded=False`` (the default) recognises every due window inside ``push``.

Timing (:meth:`StreamingRecognizer.stats`): ``fps`` = frames pushed / seconds between the first and the last
arrival; recognition latency = pipeline + model time of one window; end-to-end latency of a frame = time from its
arrival (``timestamp``, default the time ``push`` was called) to the end of the first recognition that covers it.
"""

import collections
import threading
import time
from typing import Callable, List, NamedTuple, Optional

import numpy as np

__all__ = ['StreamPrediction', 'StreamingRecognizer']


class StreamPrediction(NamedTuple):
    """One recognised window of a stream.

    ``frame``: index of its last frame (frames counted from 0 as pushed); ``start = frame - W + 1``;
    ``topk``: ``[Prediction(label, score, name)]`` ranked by ``smoothed``; ``scores`` / ``smoothed`` float32
    ``(K,)``; ``latency``: seconds of pipeline + model; ``done``: ``time.perf_counter()`` when it finished.
    """

    frame: int
    start: int
    topk: list
    scores: np.ndarray
    smoothed: np.ndarray
    latency: float
    done: float


def _percentiles(values) -> dict:
    if not len(values):
        return dict(mean=None, p50=None, p95=None, max=None)
    v = np.asarray(values, np.float64) * 1000
    return dict(
        mean=float(v.mean()), p50=float(np.percentile(v, 50)), p95=float(np.percentile(v, 95)), max=float(v.max())
    )


class StreamingRecognizer:
    """Recognise actions in a stream of per-frame skeletons (see the module docstring).

    Args:
        model: A recognizer from :func:`pyskl.apis.init_recognizer`.
        window (int | None): ``W`` frames per window; None: the config's ``clip_len``
            (:func:`pyskl.apis.windows.default_window`).
        stride (int | None): ``S``, frames between recognitions; None: ``max(1, W // 2)``.
        smooth (int): Recognised windows averaged into ``smoothed`` (>= 1; 1: none).
        max_persons (int | None): Person slots; None: the test pipeline's ``FormatGCNInput.num_person`` (2).
        topk (int): Classes in each prediction's ``topk``.
        img_shape (tuple | None): ``(H, W)`` of the frames that 2D keypoints are in pixels of (the 2D pipelines
            normalise by it); None: the pipeline's default.
        threaded (bool): Recognise in a worker thread and drop windows when it is busy (see the module docstring).
        clip_len (int | None): As in :func:`pyskl.apis.windows.sliding_window_predict`: None gives the model each
            window's ``W`` frames; an int samples that many frames uniformly from each window.
        track (bool): Assign slots by track id (True) or by the persons' order in each frame (False).
        tracker: A :class:`~pyskl.datasets.pose_extraction.PoseTracker` (default ``PoseTracker()``).
        callback (callable | None): Called with every :class:`StreamPrediction` (in the worker thread when
            ``threaded``).
    """

    def __init__(
        self,
        model,
        window: Optional[int] = None,
        stride: Optional[int] = None,
        smooth: int = 1,
        max_persons: Optional[int] = None,
        topk: int = 5,
        img_shape=None,
        threaded: bool = False,
        clip_len: Optional[int] = None,
        track: bool = True,
        tracker=None,
        callback: Optional[Callable[[StreamPrediction], None]] = None,
    ):
        from pyskl.core.layout import get_layout
        from pyskl.datasets.pose_extraction import PoseTracker

        from .inference import _is_2d
        from .predict import model_layout
        from .windows import default_window

        self.model = model
        self.window = default_window(model) if window is None else int(window)
        self.stride = max(1, self.window // 2) if stride is None else int(stride)
        if self.window < 1 or self.stride < 1 or int(smooth) < 1 or int(topk) < 1:
            raise ValueError(
                f'window, stride, smooth and topk must be >= 1, got window={window}, stride={stride}, '
                f'smooth={smooth}, topk={topk}'
            )
        self.smooth, self.topk, self.clip_len = int(smooth), int(topk), clip_len
        self.max_persons = self._num_person(model) if max_persons is None else int(max_persons)
        if self.max_persons < 1:
            raise ValueError(f'max_persons must be >= 1, got {max_persons}')
        layout = model_layout(model)
        self.num_node = get_layout(layout).stored_num_node if layout is not None else None  # what the pipeline reads
        self.is_2d = _is_2d(model)
        self.img_shape = None if img_shape is None else (int(img_shape[0]), int(img_shape[1]))
        self.track = bool(track)
        self.tracker = tracker or PoseTracker()
        self.slots: List[int] = []  # slot of each person of the last frame (-1: not recorded)
        self.callback = callback
        self.threaded = bool(threaded)
        self._kp = self._score = None  # ring buffers (max_persons, W, V, C) / (max_persons, W, V), made on frame 0
        self._arrival = np.zeros(self.window, np.float64)
        self._slot_track = [-1] * self.max_persons  # track id per slot (-1: never used)
        self._slot_seen = [-1] * self.max_persons  # last frame each slot's track was seen
        self._count = 0
        self._history = collections.deque(maxlen=self.smooth)
        self._covered = -1  # last frame covered by a finished prediction
        self._first = self._last = None
        self._due = self._run_count = self._dropped_windows = self._dropped_frames = 0
        self._recog: List[float] = []
        self._e2e: List[float] = []
        self._fresh: List[float] = []
        self._lock = threading.Condition()
        self._latest: Optional[StreamPrediction] = None
        self._pending = None
        self._busy = False
        self._closing = False
        self._error: Optional[BaseException] = None
        self._thread = None
        if self.threaded:
            self._thread = threading.Thread(target=self._worker, name='pyskl-streaming', daemon=True)
            self._thread.start()

    @staticmethod
    def _num_person(model) -> int:
        from .windows import _test_pipeline_cfg

        for t in _test_pipeline_cfg(model):
            if t.get('type') == 'FormatGCNInput':
                return int(t.get('num_person', 2))
        return 2

    # ------------------------------------------------------------------ frames
    def _check(self, keypoint, score):
        kp = np.asarray(keypoint, np.float32)
        channels = (2, 3) if self.is_2d else (3,)
        if kp.ndim == 2:
            kp = kp[None]
        if (
            kp.ndim != 3
            or kp.shape[-1] not in channels
            or (self.num_node and kp.shape[0] and kp.shape[1] != self.num_node)
        ):
            raise ValueError(
                f'frame {self._count}: keypoint must be (P, V, C) with V={self.num_node} and C in '
                f'{channels}, got shape {kp.shape}'
            )
        if score is None and self.is_2d and kp.shape[-1] == 3:
            kp, score = kp[..., :2], kp[..., 2]
        if score is None:
            if self.is_2d:
                raise ValueError(f'frame {self._count}: a 2D model needs per-joint scores (P, V)')
            score = np.any(kp != 0, axis=-1).astype(np.float32)
        score = np.asarray(score, np.float32)
        if score.ndim == 1 and kp.shape[0] == 1:
            score = score[None]
        if score.shape != kp.shape[:2]:
            raise ValueError(f'frame {self._count}: score must be (P, V) = {kp.shape[:2]}, got {score.shape}')
        if not (np.isfinite(kp).all() and np.isfinite(score).all()):
            raise ValueError(f'frame {self._count}: keypoint or score holds NaN or Inf')
        return kp, score

    def _assign_slots(self, kp: np.ndarray, score: np.ndarray) -> List[int]:
        """Slot of each person of this frame (-1: not recorded), see the module docstring."""
        frame = self._count
        if not self.track:
            return [p if p < self.max_persons else -1 for p in range(len(kp))]
        ids = self.tracker.update(kp[..., :2], score) if len(kp) else np.zeros(0, np.int64)
        slots = [-1] * len(ids)
        for p, tid in enumerate(ids):
            if int(tid) in self._slot_track:
                slots[p] = self._slot_track.index(int(tid))
        for p, tid in enumerate(ids):
            if slots[p] >= 0:
                continue
            taken_now = {s for s in slots if s >= 0}
            free = [m for m in range(self.max_persons) if m not in taken_now]
            if not free:
                continue
            ended = [m for m in free if self._slot_track[m] >= 0 and frame - self._slot_seen[m] > self.tracker.max_age]
            unused = [m for m in free if self._slot_track[m] < 0]
            m = (ended or unused or [min(free, key=lambda s: self._slot_seen[s])])[0]
            self._slot_track[m] = int(tid)
            slots[p] = m
        for m in slots:
            if m >= 0:
                self._slot_seen[m] = frame
        return slots

    def push(self, keypoint, score=None, timestamp: Optional[float] = None) -> Optional[StreamPrediction]:
        """Add one frame: ``keypoint`` ``(P, V, C)`` of its ``P >= 0`` persons (2D: pixels ``C = 2`` with
        ``score`` ``(P, V)``, or ``C = 3`` = ``(x, y, score)``; 3D: ``C = 3``), ``timestamp`` its arrival time on
        ``time.perf_counter``'s clock (default now).

        Returns the prediction of the window ending at this frame (synchronous mode; None when no window is due),
        or, threaded, the newest prediction finished since the previous call (None if none).
        """
        arrival = time.perf_counter() if timestamp is None else float(timestamp)
        self._raise_worker_error()
        kp, score = self._check(keypoint, score)
        if self._kp is None:
            self._kp = np.zeros((self.max_persons, self.window, kp.shape[1], kp.shape[2]), np.float32)
            self._score = np.zeros((self.max_persons, self.window, kp.shape[1]), np.float32)
        elif kp.shape[0] and kp.shape[1:] != self._kp.shape[2:]:
            raise ValueError(
                f'frame {self._count}: keypoint (P, V, C) has (V, C) = {kp.shape[1:]}, earlier frames '
                f'{self._kp.shape[2:]}'
            )
        pos = self._count % self.window
        self._kp[:, pos] = 0
        self._score[:, pos] = 0
        self.slots = self._assign_slots(kp, score)
        for p, m in enumerate(self.slots):
            if m >= 0:
                self._kp[m, pos], self._score[m, pos] = kp[p], score[p]
        self._arrival[pos] = arrival
        self._first = arrival if self._first is None else self._first
        self._last = arrival
        self._count += 1
        due = self._count >= self.window and (self._count - self.window) % self.stride == 0
        if due:
            self._due += 1
            job = self._snapshot()
            if not self.threaded:
                return self._recognise(job)
            with self._lock:
                if self._pending is not None:
                    self._dropped_windows += 1
                self._pending = job
                self._lock.notify_all()
        if self.threaded:
            with self._lock:
                latest, self._latest = self._latest, None
            return latest
        return None

    def _snapshot(self) -> dict:
        """The buffer in frame order as an annotation of the slots that hold somebody (at least slot 0)."""
        order = (np.arange(self.window) + self._count) % self.window
        kp, score = self._kp[:, order], self._score[:, order]
        used = [m for m in range(self.max_persons) if score[m].any() or kp[m].any()] or [0]
        ann = dict(frame_dir='stream', keypoint=kp[used], total_frames=self.window)
        if self.is_2d:
            ann['keypoint_score'] = score[used]
        if self.img_shape is not None:
            ann['img_shape'] = ann['original_shape'] = self.img_shape
        return dict(ann=ann, frame=self._count - 1, arrival=self._arrival[order].copy())

    # ------------------------------------------------------------ recognition
    def _recognise(self, job: dict) -> StreamPrediction:
        from .inference import Prediction
        from .windows import window_inputs, window_scores

        t0 = time.perf_counter()
        scores = window_scores(
            self.model, window_inputs(self.model, job['ann'], self.window, np.zeros(1, np.int64), self.clip_len)
        )[0]
        done = time.perf_counter()
        self._history.append(scores)
        smoothed = np.mean(np.stack(self._history), axis=0).astype(np.float32)
        classes = getattr(self.model, 'classes', None)
        top = np.argsort(-smoothed, kind='stable')[: self.topk]
        topk = [
            Prediction(int(c), float(smoothed[c]), classes[c] if classes and c < len(classes) else None) for c in top
        ]
        frame = job['frame']
        pred = StreamPrediction(frame, frame - self.window + 1, topk, scores, smoothed, done - t0, done)
        with self._lock:
            start = frame - self.window + 1
            if self._covered < start - 1:
                self._dropped_frames += start - 1 - self._covered
            new = job['arrival'][max(0, self._covered - start + 1) :]
            self._e2e.extend((done - new).tolist())
            self._fresh.append(done - job['arrival'][-1])
            self._covered = frame
            self._recog.append(done - t0)
            self._run_count += 1
            self._latest = pred
        if self.callback is not None:
            self.callback(pred)
        return pred

    def _worker(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._closing:
                    self._lock.wait()
                if self._pending is None:
                    return
                job, self._pending, self._busy = self._pending, None, True
            try:
                self._recognise(job)
            except BaseException as e:  # handed to the caller's next push / flush
                with self._lock:
                    self._error = e
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def flush(self) -> Optional[StreamPrediction]:
        """Threaded: wait until the waiting window (if any) is recognised; return the newest prediction not yet
        returned by :meth:`push` (None if none). Synchronous: None."""
        if not self.threaded:
            return None
        with self._lock:
            while (self._pending is not None or self._busy) and self._thread is not None and self._thread.is_alive():
                self._lock.wait(0.05)
            latest, self._latest = self._latest, None
        self._raise_worker_error()
        return latest

    def close(self) -> Optional[StreamPrediction]:
        """:meth:`flush`, then stop the worker thread. Returns what :meth:`flush` returns."""
        latest = self.flush()
        if self._thread is not None:
            with self._lock:
                self._closing = True
                self._lock.notify_all()
            self._thread.join()
            self._thread = None
        return latest

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------- stats
    def stats(self) -> dict:
        """``frames`` pushed, ``fps`` (frames / s between the first and last arrival; None below two frames),
        ``windows_due``, ``windows_run``, ``windows_dropped`` (replaced while waiting), ``frames_dropped``
        (covered by no recognised window), ``frames_pending`` (after the last recognised window),
        ``recognition_ms``, ``latency_ms`` (end-to-end per frame) and ``window_latency_ms`` (from the arrival of a
        window's last frame to its prediction: how old the newest frame of a shown prediction is): dicts of mean,
        p50, p95, max (None when empty)."""
        with self._lock:
            span = (self._last - self._first) if self._count > 1 else 0.0
            return dict(
                frames=self._count,
                fps=(self._count - 1) / span if span > 0 else None,
                windows_due=self._due,
                windows_run=self._run_count,
                windows_dropped=self._dropped_windows,
                frames_dropped=self._dropped_frames,
                frames_pending=self._count - 1 - self._covered,
                recognition_ms=_percentiles(self._recog),
                latency_ms=_percentiles(self._e2e),
                window_latency_ms=_percentiles(self._fresh),
            )

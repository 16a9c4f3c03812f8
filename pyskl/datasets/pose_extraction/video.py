"""Video frames with decord when it is installed, else with OpenCV.

decord has no wheel for macOS or Linux aarch64, so it is an optional extra (``pip install pyskl[video]``);
OpenCV (``cv2``, which mmcv-lite already requires) reads the same files everywhere.
"""

from typing import Iterator, Optional, Tuple

import numpy as np

BACKENDS = ('auto', 'decord', 'opencv')


def _decord_available() -> bool:
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


class VideoFrames:
    """RGB frames of a video file.

    Args:
        path (str): Video file.
        chunk (int): Frames decoded per batch while iterating (decord). Defaults to 32.
        size (tuple | None): ``(H, W)`` to return the frames at (resized while decoding); None: native.
        backend (str): ``'decord'``, ``'opencv'``, or ``'auto'`` (decord when importable, else OpenCV).

    Attributes:
        num_frames (int), fps (float), shape (tuple): ``(H, W)`` of the returned frames, backend (str).
    Iterating yields uint8 ``(H, W, 3)`` RGB frames in order.

    Raises:
        ValueError: the file cannot be read as a video, or has no frames (the message names the file).
    """

    def __init__(self, path: str, chunk: int = 32, size: Optional[Tuple[int, int]] = None, backend: str = 'auto'):
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
        if backend == 'auto':
            backend = 'decord' if _decord_available() else 'opencv'
        self.path, self.backend, self._chunk = str(path), backend, int(chunk)
        self._size = None if size is None else (int(size[0]), int(size[1]))
        if backend == 'decord':
            self._open_decord()
        else:
            self._open_opencv()
        if self.num_frames == 0:
            raise ValueError(f'{path}: the video has no frames')

    def _open_decord(self) -> None:
        import decord

        hw = dict(height=self._size[0], width=self._size[1]) if self._size is not None else {}
        try:
            self._reader = decord.VideoReader(self.path, ctx=decord.cpu(0), num_threads=1, **hw)
        except (RuntimeError, decord.DECORDError) as e:
            raise ValueError(f'{self.path}: cannot read the video ({e})') from None
        self.num_frames = len(self._reader)
        self.fps = float(self._reader.get_avg_fps())
        if self.num_frames:
            first = self._reader[0].asnumpy()
            self.shape: Tuple[int, int] = (int(first.shape[0]), int(first.shape[1]))

    def _open_opencv(self) -> None:
        # the frame count in a container's header can be wrong: count by decoding once
        cap = self._capture()
        self.fps = float(cap.get(5) or 0.0)  # cv2.CAP_PROP_FPS
        n, shape = 0, None
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                n += 1
                if shape is None:
                    shape = frame.shape[:2] if self._size is None else self._size
        finally:
            cap.release()
        self.num_frames = n
        if shape is not None:
            self.shape = (int(shape[0]), int(shape[1]))

    def _capture(self):
        import os

        import cv2

        if not os.path.isfile(self.path):
            raise ValueError(f'{self.path}: cannot read the video (no such file)')
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            cap.release()
            raise ValueError(f'{self.path}: cannot read the video (OpenCV could not open it)')
        return cap

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.backend == 'decord':
            self._reader.seek(0)
            for start in range(0, self.num_frames, self._chunk):
                idx = list(range(start, min(start + self._chunk, self.num_frames)))
                yield from self._reader.get_batch(idx).asnumpy()
            return
        import cv2

        cap = self._capture()
        try:
            for _ in range(self.num_frames):
                ok, frame = cap.read()
                if not ok:
                    break
                if self._size is not None and frame.shape[:2] != self._size:
                    frame = cv2.resize(frame, (self._size[1], self._size[0]), interpolation=cv2.INTER_AREA)
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            cap.release()

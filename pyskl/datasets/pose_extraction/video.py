"""Video frames with decord."""
from typing import Iterator, Optional, Tuple

import numpy as np


class VideoFrames:
    """RGB frames of a video file, read with decord.

    Args:
        path (str): Video file.
        chunk (int): Frames decoded per batch while iterating. Defaults to 32.
        size (tuple | None): ``(H, W)`` to decode the frames at (decord resizes); None: native.

    Attributes:
        num_frames (int), fps (float), shape (tuple): ``(H, W)`` of the returned frames.
    Iterating yields uint8 ``(H, W, 3)`` RGB frames in order.
    """

    def __init__(self, path: str, chunk: int = 32, size: Optional[Tuple[int, int]] = None):
        import decord
        hw = dict(height=int(size[0]), width=int(size[1])) if size is not None else {}
        try:
            self._reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1, **hw)
        except (RuntimeError, decord.DECORDError) as e:
            raise ValueError(f'{path}: cannot read the video ({e})') from None
        self.path = str(path)
        self.num_frames = len(self._reader)
        if self.num_frames == 0:
            raise ValueError(f'{path}: the video has no frames')
        self.fps = float(self._reader.get_avg_fps())
        first = self._reader[0].asnumpy()
        self.shape: Tuple[int, int] = (int(first.shape[0]), int(first.shape[1]))
        self._chunk = int(chunk)

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        self._reader.seek(0)
        for start in range(0, self.num_frames, self._chunk):
            idx = list(range(start, min(start + self._chunk, self.num_frames)))
            yield from self._reader.get_batch(idx).asnumpy()

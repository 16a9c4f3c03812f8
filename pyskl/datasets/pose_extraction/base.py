"""The pose-estimator interface used by video skeleton extraction."""

from abc import ABCMeta, abstractmethod
from typing import Callable, Dict, Tuple

import numpy as np

#: name -> estimator class (see :func:`register_pose_estimator`).
POSE_ESTIMATORS: Dict[str, type] = {}


class PoseEstimator(metaclass=ABCMeta):
    """Estimates the 2D skeletons of the persons in one RGB frame.

    Subclasses set ``layout`` (a :mod:`pyskl.models.utils.graph` layout name, e.g. ``'coco'``) and
    ``max_persons`` (persons one call can return; 1 for a single-person estimator) and implement
    :meth:`__call__`. Frames of one video are passed in order; :meth:`reset` is called before each
    new video so that estimators that track between frames start afresh.
    """

    layout: str = 'coco'
    max_persons: int = 1

    @abstractmethod
    def __call__(self, frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Args:
            frame: uint8 RGB image ``(H, W, 3)``.

        Returns:
            tuple: ``keypoint`` float32 ``(P, V, 2)`` in pixels (x right, y down) and ``score``
            float32 ``(P, V)`` in [0, 1], with ``0 <= P <= max_persons`` persons found.
        """

    def reset(self) -> None:
        """Forget the state carried between frames (called before each video)."""

    def close(self) -> None:
        """Release resources."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def register_pose_estimator(name: str) -> Callable[[type], type]:
    """Class decorator: make an estimator available to :func:`build_pose_estimator` as ``name``."""

    def wrap(cls):
        if not (isinstance(cls, type) and issubclass(cls, PoseEstimator)):
            raise TypeError(f'{cls!r} is not a PoseEstimator subclass')
        POSE_ESTIMATORS[name] = cls
        return cls

    return wrap


def build_pose_estimator(name: str = 'mediapipe', **kwargs) -> PoseEstimator:
    """Build a registered estimator: ``build_pose_estimator('mediapipe', model_complexity=1)``."""
    if name not in POSE_ESTIMATORS:
        raise KeyError(f'unknown pose estimator {name!r}; known: {sorted(POSE_ESTIMATORS)}')
    return POSE_ESTIMATORS[name](**kwargs)

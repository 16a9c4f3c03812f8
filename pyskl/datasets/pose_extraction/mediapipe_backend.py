"""MediaPipe's legacy Pose solution as a :class:`PoseEstimator` (single person).

``mediapipe==0.10.21`` (the ``pose`` extra) ships the lite and full pose landmark models inside the
wheel, so extraction runs offline on CPU. ``model_complexity=2`` (heavy) is not bundled: MediaPipe
would download it. MediaPipe Pose finds ONE person per frame (the most prominent one, tracked across
frames); multi-person videos need another backend behind the same interface.
"""

from typing import Tuple

import numpy as np

from pyskl.core.extras import require
from pyskl.core.layout import get_layout, joint_map
from .base import PoseEstimator, register_pose_estimator

#: MediaPipe Pose landmark index of each COCO-17 joint, matched by name between the ``'mediapipe'`` and
#: ``'coco'`` layouts: (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28).
MEDIAPIPE_TO_COCO = joint_map('mediapipe', 'coco')
_COCO_JOINTS = get_layout('coco').num_node


def import_mediapipe():
    """The ``mediapipe`` module, or :class:`~pyskl.core.extras.MissingExtraError` naming the ``pose`` extra."""
    return require('mediapipe', 'pose', 'or bash tools/setup_env.sh pose for a separate .venv-pose environment')


@register_pose_estimator('mediapipe')
class MediaPipePose(PoseEstimator):
    """Single-person 2D pose with MediaPipe Pose, mapped to the 17-joint COCO layout.

    Args:
        model_complexity (int): 0 (lite) or 1 (full; default). Both ship with mediapipe 0.10.21.
        min_detection_confidence (float): Person detector threshold. Defaults to 0.5.
        min_tracking_confidence (float): Below it the person is re-detected. Defaults to 0.5.
        smooth_landmarks (bool): MediaPipe's temporal filter. Defaults to True.

    A call returns ``keypoint`` ``(P, 17, 2)`` in pixels and ``score`` ``(P, 17)`` (MediaPipe's
    landmark visibility), ``P`` = 1 when a person is found, else 0.
    """

    layout = 'coco'
    max_persons = 1

    def __init__(
        self,
        model_complexity: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        smooth_landmarks: bool = True,
    ):
        if model_complexity not in (0, 1):
            raise ValueError(
                f'model_complexity must be 0 or 1 (the models bundled with mediapipe 0.10.21), got {model_complexity!r}'
            )
        self._mp = import_mediapipe()
        self._kwargs = dict(
            static_image_mode=False,
            model_complexity=model_complexity,
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._pose = None

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def __call__(self, frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f'MediaPipePose expects a uint8 RGB frame (H, W, 3), got {frame.dtype} {frame.shape}')
        if self._pose is None:
            self._pose = self._mp.solutions.pose.Pose(**self._kwargs)
        result = self._pose.process(np.ascontiguousarray(frame))
        if result.pose_landmarks is None:
            return np.zeros((0, _COCO_JOINTS, 2), np.float32), np.zeros((0, _COCO_JOINTS), np.float32)
        h, w = frame.shape[:2]
        marks = result.pose_landmarks.landmark
        kp = np.array([[marks[i].x * w, marks[i].y * h] for i in MEDIAPIPE_TO_COCO], dtype=np.float32)
        score = np.array([marks[i].visibility for i in MEDIAPIPE_TO_COCO], dtype=np.float32)
        return kp[None], np.clip(score, 0, 1)[None]

"""Real, deterministic pose estimators for tests that need poses from video frames without MediaPipe:
``from pose_estimators import CentroidPose`` in a test, or ``--pose pose_estimators:CentroidPose`` for a
``pyskl`` subprocess with ``tests/`` on its PYTHONPATH (``POSE_ESTIMATORS_DIR``)."""

import os

import numpy as np

from pyskl.datasets.pose_extraction import PoseEstimator

POSE_ESTIMATORS_DIR = os.path.dirname(os.path.abspath(__file__))


class CentroidPose(PoseEstimator):
    """A single-person estimator computed from the frame: 17 COCO joints on a vertical line through the brightness
    centroid, score 0.9."""

    layout = 'coco'
    max_persons = 1

    def __call__(self, frame):
        gray = frame.mean(axis=2)
        ys, xs = np.indices(gray.shape)
        cx, cy = (gray * xs).sum() / gray.sum(), (gray * ys).sum() / gray.sum()
        kp = np.stack([np.full(17, cx), cy + 20.0 * (np.arange(17) - 8)], axis=-1)[None].astype(np.float32)
        return kp, np.full((1, 17), 0.9, np.float32)

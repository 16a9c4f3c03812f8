"""2D skeletons from videos: a small pose-estimator interface, the MediaPipe backend (the ``pose``
extra), video reading with decord and the conversion to PYSKL annotations.

Importing this package imports neither decord nor mediapipe; they are imported when used.
"""

from .base import POSE_ESTIMATORS, PoseEstimator, build_pose_estimator, register_pose_estimator
from .extract import extract_video, make_annotation_file, read_video_list
from .mediapipe_backend import MEDIAPIPE_TO_COCO, MediaPipePose
from .tracking import PoseTracker, select_tracks, track_poses
from .video import VideoFrames

__all__ = [
    'PoseEstimator',
    'POSE_ESTIMATORS',
    'register_pose_estimator',
    'build_pose_estimator',
    'MediaPipePose',
    'MEDIAPIPE_TO_COCO',
    'VideoFrames',
    'extract_video',
    'read_video_list',
    'make_annotation_file',
    'PoseTracker',
    'track_poses',
    'select_tracks',
]

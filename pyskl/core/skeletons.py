"""The built-in skeletons as data: joint names in each dataset's order and the arguments of their layouts
(:class:`pyskl.core.layout.Layout`, which checks and registers them). NTU RGB+D (Kinect v2, 25 joints), COCO-17,
OpenPose-18, MediaPipe Pose-33, and ProtoGCN's ``coco_new`` (COCO plus derived joints)."""

from typing import Tuple

__all__ = ['NTU_JOINT_NAMES', 'COCO_JOINT_NAMES', 'OPENPOSE_JOINT_NAMES', 'MEDIAPIPE_JOINT_NAMES', 'BUILTIN_LAYOUTS']


def _one_indexed(edges):
    return tuple((i - 1, j - 1) for (i, j) in edges)


def _sides(*parts: str) -> Tuple[str, ...]:
    """``('left_' + p, 'right_' + p)`` for each part, in that order."""
    return tuple(f'{side}_{p}' for p in parts for side in ('left', 'right'))


# NTU RGB+D's 25 Kinect v2 joints, in the dataset's order (its paper, joints 1..25 -> 0..24)
NTU_JOINT_NAMES = (
    'spine_base',
    'spine_mid',
    'neck',
    'head',
    'left_shoulder',
    'left_elbow',
    'left_wrist',
    'left_hand',
    'right_shoulder',
    'right_elbow',
    'right_wrist',
    'right_hand',
    'left_hip',
    'left_knee',
    'left_ankle',
    'left_foot',
    'right_hip',
    'right_knee',
    'right_ankle',
    'right_foot',
    'spine_shoulder',
    'left_hand_tip',
    'left_thumb',
    'right_hand_tip',
    'right_thumb',
)
# the 17 COCO keypoints, in COCO's order
COCO_JOINT_NAMES = ('nose',) + _sides('eye', 'ear', 'shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle')
# OpenPose's 18-joint (COCO) body model, in its order
OPENPOSE_JOINT_NAMES = (
    'nose',
    'neck',
    'right_shoulder',
    'right_elbow',
    'right_wrist',
    'left_shoulder',
    'left_elbow',
    'left_wrist',
    'right_hip',
    'right_knee',
    'right_ankle',
    'left_hip',
    'left_knee',
    'left_ankle',
    'right_eye',
    'left_eye',
    'right_ear',
    'left_ear',
)
# MediaPipe Pose's 33 landmarks, in its order (``mediapipe.solutions.pose.PoseLandmark``; its MOUTH_LEFT /
# MOUTH_RIGHT are spelled left_mouth / right_mouth here, as every other side)
MEDIAPIPE_JOINT_NAMES = (
    ('nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye', 'right_eye_outer')
    + _sides('ear', 'mouth')
    + _sides('shoulder', 'elbow', 'wrist', 'pinky', 'index', 'thumb', 'hip', 'knee', 'ankle', 'heel', 'foot_index')
)

#: The built-in skeletons as :class:`~pyskl.core.layout.Layout` arguments, registered by name there.
BUILTIN_LAYOUTS = (
    dict(
        name='nturgb+d',
        num_node=25,
        inward=_one_indexed(
            [
                (1, 2),
                (2, 21),
                (3, 21),
                (4, 3),
                (5, 21),
                (6, 5),
                (7, 6),
                (8, 7),
                (9, 21),
                (10, 9),
                (11, 10),
                (12, 11),
                (13, 1),
                (14, 13),
                (15, 14),
                (16, 15),
                (17, 1),
                (18, 17),
                (19, 18),
                (20, 19),
                (22, 8),
                (23, 8),
                (24, 12),
                (25, 12),
            ]
        ),
        center=21 - 1,
        # hand tips hang off the thumbs in the anchors' bone definition
        bone_parents=(1, 20, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, 20, 22, 7, 24, 11),
        # subject's left / right: arm (shoulder, elbow, wrist, hand, hand tip, thumb), leg (hip, knee, ankle, foot)
        flip_pairs=((4, 8), (5, 9), (6, 10), (7, 11), (21, 23), (22, 24), (12, 16), (13, 17), (14, 18), (15, 19)),
        joint_names=NTU_JOINT_NAMES,
    ),
    dict(
        name='coco',
        num_node=17,
        inward=(
            (15, 13),
            (13, 11),
            (16, 14),
            (14, 12),
            (11, 5),
            (12, 6),
            (9, 7),
            (7, 5),
            (10, 8),
            (8, 6),
            (5, 0),
            (6, 0),
            (1, 0),
            (3, 1),
            (2, 0),
            (4, 2),
        ),
        center=0,
        # the anchors' bones attach the hips to the nose, not to the shoulders
        bone_parents=(0, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 0, 0, 11, 12, 13, 14),
        flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
        joint_names=COCO_JOINT_NAMES,
        scores=True,
    ),
    dict(
        name='openpose',
        num_node=18,
        inward=(
            (4, 3),
            (3, 2),
            (7, 6),
            (6, 5),
            (13, 12),
            (12, 11),
            (10, 9),
            (9, 8),
            (11, 5),
            (8, 2),
            (5, 1),
            (2, 1),
            (0, 1),
            (15, 0),
            (14, 0),
            (17, 15),
            (16, 14),
        ),
        center=1,
        bone_parents=(0, 0, 1, 2, 3, 1, 5, 6, 2, 8, 9, 5, 11, 12, 0, 0, 14, 15),
        # OpenPose numbers the right side first
        flip_pairs=((5, 2), (6, 3), (7, 4), (11, 8), (12, 9), (13, 10), (15, 14), (17, 16)),
        joint_names=OPENPOSE_JOINT_NAMES,
        scores=True,
    ),
    dict(
        name='coco_new',
        num_node=20,
        # ProtoGCN's 2D skeleton: COCO-17 plus mid-hip (17), mid-spine (18, halfway between 17 and 19) and
        # mid-shoulder (19, the centre); stored as 'coco', the three joints are added by Kinetics_Transform
        inward=(
            (0, 19),
            (1, 0),
            (2, 0),
            (3, 1),
            (4, 2),
            (5, 19),
            (6, 19),
            (7, 5),
            (8, 6),
            (9, 7),
            (10, 8),
            (11, 17),
            (12, 17),
            (13, 11),
            (14, 12),
            (15, 13),
            (16, 14),
            (17, 18),
            (18, 19),
        ),
        center=19,
        flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
        stored_as='coco',
        joint_names=COCO_JOINT_NAMES + ('mid_hip', 'mid_spine', 'mid_shoulder'),
        scores=True,
        score_motion='diff',  # ProtoGCN's motion differences the score too
    ),
    dict(
        name='mediapipe',
        num_node=33,
        # MediaPipe Pose's landmarks as a tree in COCO's manner (centre: the nose; shoulders hang off the nose,
        # hips off the shoulders); MediaPipe's own connection list has cycles (the hands, the feet, hip-hip)
        inward=(
            (1, 0),
            (2, 1),
            (3, 2),
            (7, 3),
            (4, 0),
            (5, 4),
            (6, 5),
            (8, 6),
            (9, 0),
            (10, 0),
            (11, 0),
            (12, 0),
            (13, 11),
            (15, 13),
            (17, 15),
            (19, 15),
            (21, 15),
            (14, 12),
            (16, 14),
            (18, 16),
            (20, 16),
            (22, 16),
            (23, 11),
            (24, 12),
            (25, 23),
            (27, 25),
            (29, 27),
            (31, 27),
            (26, 24),
            (28, 26),
            (30, 28),
            (32, 28),
        ),
        center=0,
        flip_pairs=((1, 4), (2, 5), (3, 6), (7, 8), (9, 10)) + tuple((v, v + 1) for v in range(11, 33, 2)),
        joint_names=MEDIAPIPE_JOINT_NAMES,
        scores=True,  # pyskl's MediaPipe backend keeps (x, y) pixels and the landmark visibility
    ),
)

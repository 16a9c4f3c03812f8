"""Skeleton layouts and the graphs built from them.

A :class:`Layout` is the single definition of a skeleton: joints, graph edges, centre,
bone parents and left/right pairs. The GCN adjacency (:class:`Graph`), the bone features
(``GenSkeFeat``) and flips all derive from it, so a new skeleton needs only a new layout
(registered here or given inline in a config as a dict).
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

Edge = Tuple[int, int]


@dataclass(frozen=True)
class Layout:
    """One skeleton layout.

    Args:
        name (str): Layout name, e.g. ``'nturgb+d'``.
        num_node (int): Number of joints V.
        inward (list[tuple[int, int]]): Graph edges ``(child, parent)``, 0-indexed, pointing
            towards the centre. Self-links are added by the graph, not listed here.
        center (int): Centre joint (used by ``stgcn_spatial`` partitioning).
        bone_parents (list[int] | None): ``bone_parents[v]`` is the joint that bone ``v`` starts
            from (bone feature = ``x[v] - x[bone_parents[v]]``); the root is its own parent.
            Defaults to the parents implied by ``inward``. Given explicitly where the anchors'
            bone definition differs from their graph (NTU hands, COCO hips) so that released
            bone-modality checkpoints see the same features.
        flip_pairs (list[tuple[int, int]]): (left, right) joint pairs swapped by a horizontal flip (the
            subject's left and right: ``left_x`` and ``right_x`` in ``joint_names``).
        joint_names (list[str] | None): Name of every joint, ``num_node`` unique strings, sides spelled
            ``left_...`` / ``right_...`` (the subject's). :func:`joint_map` maps layouts onto each other
            by these names.
        scores (bool): The third channel of ``C == 3`` data is a detection score, not a coordinate
            (2D keypoints from a pose estimator: ``coco``, ``openpose``, ...). ``GenSkeFeat`` then averages
            it for bones instead of differencing it, and ``Flip`` mirrors image pixels.
        score_motion (str): How motion features treat a score channel: ``'mean'`` (PYSKL: the mean of the
            two frames' scores) or ``'diff'`` (ProtoGCN's ``coco_new``: differenced like a coordinate).
        stored_as (str | None): Name of the layout the annotation files store, when it differs: the pipeline
            derives this layout's joints from it (``coco_new`` is stored as ``coco`` and extended by
            ``Kinetics_Transform``). ``PoseDataset`` checks samples against the stored layout's joint count.
    """

    name: str
    num_node: int
    inward: Tuple[Edge, ...]
    center: int
    bone_parents: Optional[Tuple[int, ...]] = None
    flip_pairs: Tuple[Edge, ...] = field(default_factory=tuple)
    stored_as: Optional[str] = None
    joint_names: Optional[Tuple[str, ...]] = None
    scores: bool = False
    score_motion: str = 'mean'

    def __post_init__(self):
        for i, j in self.inward:
            if not (0 <= i < self.num_node and 0 <= j < self.num_node):
                raise ValueError(f'layout {self.name!r}: edge ({i}, {j}) outside 0..{self.num_node - 1}')
        if not 0 <= self.center < self.num_node:
            raise ValueError(f'layout {self.name!r}: center {self.center} outside 0..{self.num_node - 1}')
        if self.bone_parents is not None and len(self.bone_parents) != self.num_node:
            raise ValueError(
                f'layout {self.name!r}: bone_parents has {len(self.bone_parents)} entries, expected {self.num_node}'
            )
        for pair in self.flip_pairs:
            if len(pair) != 2 or not all(0 <= v < self.num_node for v in pair) or pair[0] == pair[1]:
                raise ValueError(
                    f'layout {self.name!r}: flip pair {pair} must be two different joints in 0..{self.num_node - 1}'
                )
        flipped = [v for pair in self.flip_pairs for v in pair]
        if len(set(flipped)) != len(flipped):
            raise ValueError(f'layout {self.name!r}: a joint is in more than one flip pair: {self.flip_pairs}')
        if self.joint_names is not None:
            if len(self.joint_names) != self.num_node or len(set(self.joint_names)) != self.num_node:
                raise ValueError(
                    f'layout {self.name!r}: joint_names must be {self.num_node} unique names, got '
                    f'{len(self.joint_names)} ({len(set(self.joint_names))} unique)'
                )
        if self.score_motion not in ('mean', 'diff'):
            raise ValueError(f"layout {self.name!r}: score_motion must be 'mean' or 'diff', got {self.score_motion!r}")

    @property
    def self_link(self) -> List[Edge]:
        return [(i, i) for i in range(self.num_node)]

    @property
    def outward(self) -> List[Edge]:
        return [(j, i) for (i, j) in self.inward]

    @property
    def neighbor(self) -> List[Edge]:
        return list(self.inward) + self.outward

    @property
    def parents(self) -> Tuple[int, ...]:
        """Bone parent of every joint (root: itself)."""
        if self.bone_parents is not None:
            return tuple(self.bone_parents)
        parents = list(range(self.num_node))
        for child, parent in self.inward:
            parents[child] = parent
        return tuple(parents)

    @property
    def grandparents(self) -> Tuple[int, ...]:
        """``g(v) = parent(parent(v))``, or ``v`` itself when ``parent(v)`` is the root (a root is its own
        parent): the far end of InfoGCN's / ProtoGCN's K-bone ``k[v] = x[v] - x[g(v)]``."""
        parents = self.parents
        return tuple(v if parents[p] == p else parents[p] for v, p in enumerate(parents))

    @property
    def stored_num_node(self) -> int:
        """Joints per sample in the annotation files (``num_node`` of ``stored_as``, else ``num_node``)."""
        return get_layout(self.stored_as).num_node if self.stored_as else self.num_node

    @property
    def bone_pairs(self) -> Tuple[Edge, ...]:
        """``(v, parent(v))`` for every joint, as the anchors' ``GenSkeFeat`` uses them."""
        return tuple((v, p) for v, p in enumerate(self.parents))

    @property
    def flip_index(self) -> np.ndarray:
        """Permutation of joints for a horizontal flip."""
        idx = np.arange(self.num_node)
        for left, right in self.flip_pairs:
            idx[left], idx[right] = right, left
        return idx


def _one_indexed(edges):
    return tuple((i - 1, j - 1) for (i, j) in edges)


#: Skeleton features (``GenSkeFeat.feats``): joint, bone, their motions, and ProtoGCN's K-bone and its motion.
FEATS = ('j', 'b', 'jm', 'bm', 'k', 'km')

LAYOUTS: Dict[str, Layout] = {}


def register_layout(layout: Layout) -> Layout:
    """Add a layout to the table of named layouts (``Graph(layout=name)``)."""
    LAYOUTS[layout.name] = layout
    return layout


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

register_layout(
    Layout(
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
    )
)

register_layout(
    Layout(
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
    )
)

register_layout(
    Layout(
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
    )
)


register_layout(
    Layout(
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
    )
)

register_layout(
    Layout(
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
    )
)


def joint_map(src: Union[str, dict, Layout], dst: Union[str, dict, Layout]) -> Tuple[int, ...]:
    """Index in ``src`` of every joint of ``dst``, matched by name: ``kp_dst = kp_src[..., joint_map(src, dst), :]``.

    E.g. ``joint_map('mediapipe', 'coco')`` picks COCO's 17 joints from MediaPipe's 33 landmarks.

    Raises:
        ValueError: a layout has no ``joint_names``, or ``src`` lacks some of ``dst``'s joints (named).
    """
    src, dst = get_layout(src), get_layout(dst)
    for lay in (src, dst):
        if lay.joint_names is None:
            raise ValueError(f'joint_map: layout {lay.name!r} has no joint_names')
    index = {name: i for i, name in enumerate(src.joint_names)}
    missing = [name for name in dst.joint_names if name not in index]
    if missing:
        raise ValueError(f'joint_map: layout {src.name!r} has no joint named {missing} (needed by {dst.name!r})')
    return tuple(index[name] for name in dst.joint_names)


def joint_index(layout: Union[str, dict, Layout], *names: str) -> Tuple[int, ...]:
    """Indices of the named joints of ``layout``, e.g. ``joint_index('coco', 'left_hip', 'right_hip')``."""
    lay = get_layout(layout)
    if lay.joint_names is None:
        raise ValueError(f'layout {lay.name!r} has no joint_names')
    unknown = [n for n in names if n not in lay.joint_names]
    if unknown:
        raise ValueError(f'layout {lay.name!r} has no joint named {unknown}; its joints: {list(lay.joint_names)}')
    return tuple(lay.joint_names.index(n) for n in names)


def get_layout(layout: Union[str, dict, Layout]) -> Layout:
    """Return a :class:`Layout` from a name, a config dict or a Layout.

    A config dict describes a user-defined skeleton without code, e.g.
    ``dict(num_node=5, inward=[(1, 0), (2, 1), (3, 0), (4, 3)], center=0, name='toy')``
    (optional ``bone_parents``, ``flip_pairs``, ``stored_as``, ``joint_names``, ``scores``, ``score_motion``).
    """
    if isinstance(layout, Layout):
        return layout
    if isinstance(layout, str):
        if layout not in LAYOUTS:
            raise KeyError(
                f'unknown skeleton layout {layout!r}; known: {sorted(LAYOUTS)} '
                '(or give a dict with num_node, inward, center)'
            )
        return LAYOUTS[layout]
    if isinstance(layout, dict):
        missing = [k for k in ('num_node', 'inward', 'center') if k not in layout]
        if missing:
            raise KeyError(f'user-defined layout is missing {missing}; given keys: {sorted(layout)}')
        return Layout(
            name=layout.get('name', 'custom'),
            num_node=int(layout['num_node']),
            inward=tuple(tuple(int(x) for x in e) for e in layout['inward']),
            center=int(layout['center']),
            bone_parents=tuple(int(p) for p in layout['bone_parents']) if layout.get('bone_parents') else None,
            flip_pairs=tuple(tuple(int(x) for x in e) for e in layout.get('flip_pairs', ())),
            stored_as=layout.get('stored_as'),
            joint_names=tuple(str(n) for n in layout['joint_names']) if layout.get('joint_names') else None,
            scores=bool(layout.get('scores', False)),
            score_motion=layout.get('score_motion', 'mean'),
        )
    raise TypeError(f'layout must be a name, a dict or a Layout, got {type(layout).__name__}')


def guess_layout(num_joints: int) -> str:
    """The name of the first registered layout with ``num_joints`` joints that annotation files store
    (``stored_as`` unset): 25 -> ``nturgb+d``, 17 -> ``coco``, 18 -> ``openpose``."""
    for name, layout in LAYOUTS.items():
        if layout.num_node == num_joints and layout.stored_as is None:
            return name
    raise ValueError(f'cannot guess the skeleton layout of {num_joints} joints; give it explicitly')

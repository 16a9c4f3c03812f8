"""Skeleton layouts and the graphs built from them.

A :class:`Layout` is the single definition of a skeleton: joints, graph edges, centre,
bone parents and left/right pairs. The GCN adjacency (:class:`Graph`), the bone features
(``GenSkeFeat``) and flips all derive from it, so a new skeleton needs only a new layout
(registered here from :mod:`pyskl.core.skeletons`, or given inline in a config as a dict).
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from .skeletons import BUILTIN_LAYOUTS
from .validation import is_int

Edge = Tuple[int, int]

#: Most joints a layout may have (MediaPipe Holistic has 543 landmarks; a user-defined layout asking for
#: millions would allocate a V x V adjacency per subset).
MAX_JOINTS = 4096


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
        if not is_int(self.num_node) or not 1 <= self.num_node <= MAX_JOINTS:
            raise ValueError(f'layout {self.name!r}: num_node must be an int in 1..{MAX_JOINTS}, got {self.num_node!r}')
        indices = [v for e in self.inward for v in e] + [self.center] + list(self.bone_parents or ())
        indices += [v for pair in self.flip_pairs for v in pair]
        if not all(is_int(v) for v in indices) or not all(len(e) == 2 for e in self.inward):
            raise ValueError(f'layout {self.name!r}: edges, center, bone_parents and flip pairs must be joint indices')
        for i, j in self.inward:
            if not (0 <= i < self.num_node and 0 <= j < self.num_node):
                raise ValueError(f'layout {self.name!r}: edge ({i}, {j}) outside 0..{self.num_node - 1}')
        if not 0 <= self.center < self.num_node:
            raise ValueError(f'layout {self.name!r}: center {self.center} outside 0..{self.num_node - 1}')
        if self.bone_parents is not None and len(self.bone_parents) != self.num_node:
            raise ValueError(
                f'layout {self.name!r}: bone_parents has {len(self.bone_parents)} entries, expected {self.num_node}'
            )
        if self.bone_parents is not None and not all(0 <= p < self.num_node for p in self.bone_parents):
            raise ValueError(f'layout {self.name!r}: bone_parents must be joints in 0..{self.num_node - 1}')
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
    def stored(self) -> 'Layout':
        """The layout of the annotation files, which the pipeline reads (``stored_as``, else this layout): what
        data, pose estimators and drawings of this layout's samples use (``coco_new`` -> ``coco``)."""
        return get_layout(self.stored_as) if self.stored_as else self

    @property
    def stored_num_node(self) -> int:
        """Joints per sample in the annotation files (the :attr:`stored` layout's ``num_node``)."""
        return self.stored.num_node

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


#: Skeleton features (``GenSkeFeat.feats``): joint, bone, their motions, and ProtoGCN's K-bone and its motion.
FEATS = ('j', 'b', 'jm', 'bm', 'k', 'km')

LAYOUTS: Dict[str, Layout] = {}


def register_layout(layout: Layout) -> Layout:
    """Add a layout to the table of named layouts (``Graph(layout=name)``)."""
    LAYOUTS[layout.name] = layout
    return layout


for _definition in BUILTIN_LAYOUTS:
    register_layout(Layout(**_definition))
del _definition


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
        name = str(layout.get('name', 'custom'))
        try:  # ints stay ints (5.7 joints is an error, not 5); lists become tuples
            return Layout(
                name=name,
                num_node=layout['num_node'],
                inward=tuple(tuple(e) for e in layout['inward']),
                center=layout['center'],
                bone_parents=tuple(layout['bone_parents']) if layout.get('bone_parents') else None,
                flip_pairs=tuple(tuple(e) for e in layout.get('flip_pairs', ())),
                stored_as=layout.get('stored_as'),
                joint_names=tuple(str(n) for n in layout['joint_names']) if layout.get('joint_names') else None,
                scores=bool(layout.get('scores', False)),
                score_motion=layout.get('score_motion', 'mean'),
            )
        except TypeError as e:  # e.g. inward=None, an edge that is a number
            raise ValueError(f'user-defined layout {name!r}: {e}') from None
    raise TypeError(f'layout must be a name, a dict or a Layout, got {type(layout).__name__}')


def guess_layout(num_joints: int) -> str:
    """The name of the first registered layout with ``num_joints`` joints that annotation files store
    (``stored_as`` unset): 25 -> ``nturgb+d``, 17 -> ``coco``, 18 -> ``openpose``."""
    for name, layout in LAYOUTS.items():
        if layout.num_node == num_joints and layout.stored_as is None:
            return name
    raise ValueError(f'cannot guess the skeleton layout of {num_joints} joints; give it explicitly')

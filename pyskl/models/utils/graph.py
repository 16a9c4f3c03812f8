"""Skeleton layouts and the graphs built from them.

A :class:`Layout` is the single definition of a skeleton: joints, graph edges, centre,
bone parents and left/right pairs. The GCN adjacency (:class:`Graph`), the bone features
(``GenSkeFeat``) and flips all derive from it, so a new skeleton needs only a new layout
(registered here or given inline in a config as a dict).
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

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
        flip_pairs (list[tuple[int, int]]): (left, right) joint pairs swapped by a horizontal flip.
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

    def __post_init__(self):
        for (i, j) in self.inward:
            if not (0 <= i < self.num_node and 0 <= j < self.num_node):
                raise ValueError(f'layout {self.name!r}: edge ({i}, {j}) outside 0..{self.num_node - 1}')
        if not 0 <= self.center < self.num_node:
            raise ValueError(f'layout {self.name!r}: center {self.center} outside 0..{self.num_node - 1}')
        if self.bone_parents is not None and len(self.bone_parents) != self.num_node:
            raise ValueError(f'layout {self.name!r}: bone_parents has {len(self.bone_parents)} entries, '
                             f'expected {self.num_node}')

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


LAYOUTS: Dict[str, Layout] = {}


def register_layout(layout: Layout) -> Layout:
    """Add a layout to the table of named layouts (``Graph(layout=name)``)."""
    LAYOUTS[layout.name] = layout
    return layout


register_layout(Layout(
    name='nturgb+d',
    num_node=25,
    inward=_one_indexed([(1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21),
                         (10, 9), (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1),
                         (18, 17), (19, 18), (20, 19), (22, 8), (23, 8), (24, 12), (25, 12)]),
    center=21 - 1,
    # hand tips hang off the thumbs in the anchors' bone definition
    bone_parents=(1, 20, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, 20, 22, 7, 24, 11),
    # subject's left / right: arm (shoulder, elbow, wrist, hand, hand tip, thumb), leg (hip, knee, ankle, foot)
    flip_pairs=((4, 8), (5, 9), (6, 10), (7, 11), (21, 23), (22, 24), (12, 16), (13, 17), (14, 18), (15, 19)),
))

register_layout(Layout(
    name='coco',
    num_node=17,
    inward=((15, 13), (13, 11), (16, 14), (14, 12), (11, 5), (12, 6), (9, 7), (7, 5), (10, 8), (8, 6),
            (5, 0), (6, 0), (1, 0), (3, 1), (2, 0), (4, 2)),
    center=0,
    # the anchors' bones attach the hips to the nose, not to the shoulders
    bone_parents=(0, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 0, 0, 11, 12, 13, 14),
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
))

register_layout(Layout(
    name='openpose',
    num_node=18,
    inward=((4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8), (11, 5), (8, 2),
            (5, 1), (2, 1), (0, 1), (15, 0), (14, 0), (17, 15), (16, 14)),
    center=1,
    bone_parents=(0, 0, 1, 2, 3, 1, 5, 6, 2, 8, 9, 5, 11, 12, 0, 0, 14, 15),
    flip_pairs=((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13), (14, 15), (16, 17)),
))


register_layout(Layout(
    name='coco_new',
    num_node=20,
    # ProtoGCN's 2D skeleton: COCO-17 plus mid-hip (17), neck (18, between 17 and 19) and mid-shoulder (19,
    # the centre); stored as 'coco', the three joints are added by Kinetics_Transform
    inward=((0, 19), (1, 0), (2, 0), (3, 1), (4, 2), (5, 19), (6, 19), (7, 5), (8, 6), (9, 7), (10, 8),
            (11, 17), (12, 17), (13, 11), (14, 12), (15, 13), (16, 14), (17, 18), (18, 19)),
    center=19,
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
    stored_as='coco',
))


def get_layout(layout: Union[str, dict, Layout]) -> Layout:
    """Return a :class:`Layout` from a name, a config dict or a Layout.

    A config dict describes a user-defined skeleton without code, e.g.
    ``dict(num_node=5, inward=[(1, 0), (2, 1), (3, 0), (4, 3)], center=0, name='toy')``
    (optional ``bone_parents`` and ``flip_pairs``).
    """
    if isinstance(layout, Layout):
        return layout
    if isinstance(layout, str):
        if layout not in LAYOUTS:
            raise KeyError(f'unknown skeleton layout {layout!r}; known: {sorted(LAYOUTS)} '
                           '(or give a dict with num_node, inward, center)')
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
        )
    raise TypeError(f'layout must be a name, a dict or a Layout, got {type(layout).__name__}')


# --- Graph (adjacency construction) lives below this line. ---


def edge2mat(edges: Sequence[Edge], num_node: int) -> np.ndarray:
    """Adjacency matrix ``(V, V)`` with ``A[j, i] = 1`` for every edge ``(i, j)``."""
    A = np.zeros((num_node, num_node))
    for i, j in edges:
        A[j, i] = 1
    return A


def normalize_digraph(A: np.ndarray, dim: int = 0) -> np.ndarray:
    """Divide every column of ``A`` by its degree (sum along ``dim``); empty columns stay zero."""
    degree = A.sum(dim)
    inv = np.zeros_like(degree, dtype=np.float64)
    np.divide(1.0, degree, out=inv, where=degree > 0)
    return A @ np.diag(inv)


def get_hop_distance(num_node: int, edges: Sequence[Edge], max_hop: int = 1) -> np.ndarray:
    """Hop distance ``(V, V)`` between joints along undirected ``edges``; ``inf`` beyond ``max_hop``."""
    A = np.eye(num_node)
    for i, j in edges:
        A[i, j] = A[j, i] = 1
    hop_dis = np.full((num_node, num_node), np.inf)
    reach = np.stack([np.linalg.matrix_power(A, d) for d in range(max_hop + 1)]) > 0
    for d in range(max_hop, -1, -1):
        hop_dis[reach[d]] = d
    return hop_dis


def k_adjacency(A: np.ndarray, k: int, with_self: bool = False, self_factor: float = 1) -> np.ndarray:
    """Joints exactly ``k`` hops apart in the binary adjacency ``A`` ``(V, V)`` (``k=0``: identity)."""
    eye = np.eye(len(A), dtype=A.dtype)
    if k == 0:
        return eye
    Ak = (np.minimum(np.linalg.matrix_power(A + eye, k), 1)
          - np.minimum(np.linalg.matrix_power(A + eye, k - 1), 1))
    if with_self:
        Ak = Ak + self_factor * eye
    return Ak


class Graph:
    """Adjacency tensor ``A`` of shape ``(K, V, V)`` for a skeleton layout.

    Args:
        layout (str | dict | Layout): A named layout (``'nturgb+d'``, ``'coco'``, ``'openpose'``) or a
            user-defined one (see :func:`get_layout`).
        mode (str): ``'spatial'`` (identity, inward, outward; K=3), ``'stgcn_spatial'`` (ST-GCN's
            distance partitioning: root / closer to centre / further; K=2*max_hop+1), ``'binary_adj'``
            (undirected 0/1 adjacency; K=1) or ``'random'`` (K=num_filter learnable-init matrices
            ``N(init_off, init_std)`` over ``V * nx_node`` nodes).
        max_hop (int): Neighbourhood radius of ``stgcn_spatial``.
        nx_node (int): Node multiplier, ``'random'`` mode only.
        num_filter (int): Number of random matrices (``'random'``).
        init_std (float): Std of the random matrices.
        init_off (float): Mean of the random matrices.
        seed (int | None): Seed of the local generator used by ``'random'``. None draws the seed from
            torch's default generator, so a run seeded through the Runner is reproducible while
            numpy's global RNG is never touched.
    """

    MODES = ('spatial', 'stgcn_spatial', 'binary_adj', 'random')

    def __init__(self, layout: Union[str, dict, Layout] = 'coco', mode: str = 'spatial', max_hop: int = 1,
                 nx_node: int = 1, num_filter: int = 3, init_std: float = 0.02, init_off: float = 0.04,
                 seed: Optional[int] = None):
        if mode not in self.MODES:
            raise ValueError(f'unknown graph mode {mode!r}; choose one of {self.MODES}')
        if nx_node != 1 and mode != 'random':
            raise ValueError("nx_node > 1 is only supported with mode='random'")
        self.layout = get_layout(layout)
        self.mode = mode
        self.max_hop = max_hop
        self.nx_node = nx_node
        self.num_filter = num_filter
        self.init_std = init_std
        self.init_off = init_off
        self.seed = seed
        self.num_node = self.layout.num_node
        self.center = self.layout.center
        self.inward = list(self.layout.inward)
        self.outward = self.layout.outward
        self.self_link = self.layout.self_link
        self.neighbor = self.layout.neighbor
        self.hop_dis = get_hop_distance(self.num_node, self.inward, max_hop)
        self.A = getattr(self, mode)()

    def __repr__(self):
        return f'Graph(layout={self.layout.name!r}, mode={self.mode!r}, A={tuple(self.A.shape)})'

    def spatial(self) -> np.ndarray:
        identity = edge2mat(self.self_link, self.num_node)
        inward = normalize_digraph(edge2mat(self.inward, self.num_node))
        outward = normalize_digraph(edge2mat(self.outward, self.num_node))
        return np.stack((identity, inward, outward))

    def stgcn_spatial(self) -> np.ndarray:
        adj = (self.hop_dis <= self.max_hop).astype(np.float64)
        norm = normalize_digraph(adj)
        hop, center = self.hop_dis, self.center
        # dist_to_center[j] >= dist_to_center[i]: j is at least as far from the centre as i
        closer = hop[:, center][:, None] >= hop[:, center][None, :]
        subsets = []
        for h in range(self.max_hop + 1):
            at_h = hop == h
            subsets.append(np.where(at_h & closer, norm, 0.))
            if h > 0:
                subsets.append(np.where(at_h & ~closer, norm, 0.))
        return np.stack(subsets)

    def binary_adj(self) -> np.ndarray:
        return edge2mat(self.neighbor, self.num_node)[None]

    def random(self) -> np.ndarray:
        seed = self.seed
        if seed is None:
            import torch
            seed = int(torch.randint(0, 2**62, ()).item())
        rng = np.random.default_rng(seed)
        n = self.num_node * self.nx_node
        return rng.standard_normal((self.num_filter, n, n)) * self.init_std + self.init_off

"""Graphs (adjacency matrices) built from skeleton layouts (:mod:`pyskl.core.layout`)."""

from typing import Optional, Sequence, Union

import numpy as np

from pyskl.core.layout import Edge, Layout, get_layout


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
    Ak = np.minimum(np.linalg.matrix_power(A + eye, k), 1) - np.minimum(np.linalg.matrix_power(A + eye, k - 1), 1)
    if with_self:
        Ak = Ak + self_factor * eye
    return Ak


class Graph:
    """Adjacency tensor ``A`` of shape ``(K, V, V)`` for a skeleton layout.

    Args:
        layout (str | dict | Layout): A named layout (``'nturgb+d'``, ``'coco'``, ``'openpose'``, ...) or a
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

    def __init__(
        self,
        layout: Union[str, dict, Layout] = 'coco',
        mode: str = 'spatial',
        max_hop: int = 1,
        nx_node: int = 1,
        num_filter: int = 3,
        init_std: float = 0.02,
        init_off: float = 0.04,
        seed: Optional[int] = None,
    ):
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
            subsets.append(np.where(at_h & closer, norm, 0.0))
            if h > 0:
                subsets.append(np.where(at_h & ~closer, norm, 0.0))
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

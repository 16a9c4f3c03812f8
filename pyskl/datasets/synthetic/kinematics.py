"""The synthetic subjects' bodies and forward kinematics (numpy only).

Body frame: x = the subject's left, y = up, z = the subject's forward (right-handed). The
skeleton is the ``'nturgb+d'`` layout of :mod:`pyskl.core.layout`: the forward-kinematics tree is
that layout's graph rooted at the spine base (joint 0), and the left/right joints are its
``flip_pairs``. This module only adds what a layout does not hold: each bone's rest offset and the
body part whose size scales it.
"""

from typing import Dict, List, Tuple

import numpy as np

from pyskl.core.layout import get_layout

LAYOUT = get_layout('nturgb+d')
NUM_JOINTS = LAYOUT.num_node
FPS = 30.0
#: The root of the forward-kinematics tree (spine base).
ROOT = 0

# Left-side (and central) bones: joint -> (rest offset from its FK parent in metres for a ~1.75 m adult, body part).
# The right side mirrors the left (x -> -x).
_LEFT_OFFSETS = {
    1: ((0.0, 0.25, -0.01), 'torso'),  # spine-mid
    20: ((0.0, 0.24, 0.0), 'torso'),  # spine-shoulder
    2: ((0.0, 0.07, 0.01), 'torso'),  # neck
    3: ((0.0, 0.14, 0.02), 'torso'),  # head
    4: ((0.17, -0.04, 0.0), 'shoulder'),  # L-shoulder
    5: ((0.02, -0.27, 0.0), 'arm'),  # L-elbow
    6: ((0.0, -0.25, 0.02), 'arm'),  # L-wrist
    7: ((0.0, -0.07, 0.0), 'arm'),  # L-hand
    21: ((0.0, -0.07, 0.0), 'arm'),  # L-hand-tip
    22: ((-0.01, -0.03, 0.04), 'arm'),  # L-thumb
    12: ((0.09, -0.04, 0.0), 'hip'),  # L-hip
    13: ((0.0, -0.42, 0.01), 'leg'),  # L-knee
    14: ((0.0, -0.40, -0.02), 'leg'),  # L-ankle
    15: ((0.0, -0.06, 0.12), 'leg'),  # L-foot
}
#: Left joint -> right joint (the layout's ``flip_pairs``).
LEFT_TO_RIGHT: Dict[int, int] = dict(LAYOUT.flip_pairs)


def _fk_tree(root: int) -> Tuple[Tuple[int, ...], List[int]]:
    """FK parent of every joint (the root is its own parent) and a parents-first joint order, from the
    layout's undirected edges rooted at ``root``."""
    neighbours = {v: [] for v in range(NUM_JOINTS)}
    for i, j in LAYOUT.inward:
        neighbours[i].append(j)
        neighbours[j].append(i)
    parents, order = {root: root}, [root]
    for v in order:  # breadth-first: order grows while it is walked
        for u in sorted(neighbours[v]):
            if u not in parents:
                parents[u] = v
                order.append(u)
    if len(order) != NUM_JOINTS:
        raise ValueError(f'layout {LAYOUT.name!r} is not a connected tree')
    return tuple(parents[v] for v in range(NUM_JOINTS)), order


#: FK parent of every joint (the root is its own parent); the FK order lists parents before children.
FK_PARENTS, FK_ORDER = _fk_tree(ROOT)
#: joint -> (rest offset (3,), body part) for every joint but the root.
SKELETON: Dict[int, Tuple[Tuple[float, float, float], str]] = dict(_LEFT_OFFSETS)
for _l, _r in LEFT_TO_RIGHT.items():
    (_x, _y, _z), _part = SKELETON[_l]
    SKELETON[_r] = ((-_x, _y, _z), _part)
del _l, _r, _x, _y, _z, _part
assert sorted(SKELETON) == list(range(1, NUM_JOINTS)), 'every non-root joint needs a rest offset'

FEET = [14, 15, 18, 19]
# Kinect's hand joints are much noisier than the body joints.
NOISE_SCALE = np.ones(NUM_JOINTS)
NOISE_SCALE[[7, 11]] = 1.5
NOISE_SCALE[[21, 22, 23, 24]] = 2.5
_MIRROR = np.diag([-1.0, 1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# Small rotation / timing helpers. Angles are in radians; ``a`` is a scalar or a (T,) array
# and every rotation is returned as (T, 3, 3).
# ---------------------------------------------------------------------------------------------
def rot(axis: int, a, T: int) -> np.ndarray:
    a = np.broadcast_to(np.asarray(a, dtype=np.float64), (T,))
    c, s = np.cos(a), np.sin(a)
    R = np.zeros((T, 3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    R[:, axis, axis] = 1.0
    R[:, i, i] = c
    R[:, j, j] = c
    R[:, i, j] = -s
    R[:, j, i] = s
    return R


def rx(a, T):
    """About the body's sideways axis. Positive: a downward bone swings backwards."""
    return rot(0, a, T)


def ry(a, T):
    """About the vertical axis (positive turns the subject to their left)."""
    return rot(1, a, T)


def rz(a, T):
    """About the forward axis. Positive: a downward bone on the left side swings outwards."""
    return rot(2, a, T)


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def ramp(t, t0, t1):
    """0 before ``t0``, 1 after ``t1``, smooth in between."""
    return smoothstep((t - t0) / max(t1 - t0, 1e-6))


def bump(t, t0, t1):
    """A smooth 0 -> 1 -> 0 pulse over ``[t0, t1]``."""
    x = np.clip((t - t0) / max(t1 - t0, 1e-6), 0.0, 1.0)
    return np.sin(np.pi * x) ** 2


def deg(x):
    return np.deg2rad(x)


class Motion:
    """Local bone rotations over time for one person.

    ``rot[j]`` (T, 3, 3) rotates the bone from ``FK_PARENTS[j]`` to ``j`` (and everything
    below it) in the parent bone's frame. ``yaw`` (T,) turns the whole body about the vertical
    axis; ``air`` (T,) lifts it off the floor (metres).
    """

    def __init__(self, T: int):
        self.T = T
        self.rot: Dict[int, np.ndarray] = {}
        self.yaw = np.zeros(T)
        self.air = np.zeros(T)

    def add(self, joint: int, R: np.ndarray, mirror: bool = False):
        """Compose ``R`` onto bone ``joint``; ``mirror`` maps a left-side rotation (and joint
        index) onto the right side."""
        if mirror:
            joint = LEFT_TO_RIGHT[joint]
            R = _MIRROR @ R @ _MIRROR
        self.rot[joint] = R @ self.rot[joint] if joint in self.rot else R

    def arm(self, right: bool, abd=0.0, flex=0.0, horiz=0.0, elbow=0.0, elbow_side=0.0):
        """Pose an arm (angles as for the left arm; the right one is mirrored).

        ``abd`` raises it sideways, ``flex`` forwards, ``horiz`` swings it towards the midline,
        ``elbow`` bends the forearm forwards, ``elbow_side`` upwards in the frontal plane.
        """
        T = self.T
        self.add(5, ry(-np.asarray(horiz), T) @ rz(abd, T) @ rx(-np.asarray(flex), T), mirror=right)
        self.add(6, rz(elbow_side, T) @ rx(-np.asarray(elbow), T), mirror=right)

    def leg(self, right: bool, hip=0.0, knee=0.0, ankle=None, abd=0.0):
        """Pose a leg: ``hip`` swings the thigh forwards, ``knee`` bends the shank backwards,
        ``ankle`` lifts the toes (default: keep the foot level with the thigh-shank chain)."""
        T = self.T
        hip, knee = np.asarray(hip, dtype=float), np.asarray(knee, dtype=float)
        if ankle is None:
            ankle = knee - hip
        self.add(13, rz(abd, T) @ rx(-hip, T), mirror=right)
        self.add(14, rx(knee, T), mirror=right)
        self.add(15, rx(-np.asarray(ankle), T), mirror=right)

    def spine(self, bend=0.0, twist=0.0, side=0.0, head=0.0):
        """Bend the torso forwards at the hips (``bend``), twist it to the left (``twist``), lean
        it to the left (``side``) and nod the head forwards (``head``)."""
        T = self.T
        self.add(1, ry(twist, T) @ rz(-np.asarray(side), T) @ rx(bend, T))
        self.add(3, rx(head, T))


# ---------------------------------------------------------------------------------------------
# Bodies, forward kinematics and cameras
# ---------------------------------------------------------------------------------------------
def body_offsets(rng: np.random.Generator) -> np.ndarray:
    """Rest bone offsets (25, 3) of one subject: overall size and proportions vary."""
    size = rng.uniform(0.86, 1.1)
    part_scale = {part: size * rng.uniform(0.95, 1.05) for part in ('torso', 'shoulder', 'arm', 'hip', 'leg')}
    offsets = np.zeros((NUM_JOINTS, 3))
    for j, (off, part) in SKELETON.items():
        offsets[j] = np.asarray(off) * part_scale[part]
    return offsets


def forward_kinematics(m: Motion, offsets: np.ndarray) -> np.ndarray:
    """Joint positions (T, 25, 3) in a floor frame (y = 0 on the floor, the body above the
    origin) from the local rotations of ``m`` and rest offsets (25, 3)."""
    T = m.T
    glob = {0: ry(m.yaw, T)}
    pos = np.zeros((T, NUM_JOINTS, 3))
    for j in FK_ORDER[1:]:
        p = FK_PARENTS[j]
        g = glob[p] @ m.rot[j] if j in m.rot else glob[p]
        glob[j] = g
        pos[:, j] = pos[:, p] + g @ offsets[j]
    # stand on the floor: the lowest foot joint touches y = 0, then add the jump height
    pos[..., 1] -= pos[:, FEET, 1].min(axis=1, keepdims=True)
    pos[..., 1] += m.air[:, None]
    return pos

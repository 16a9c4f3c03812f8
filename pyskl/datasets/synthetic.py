"""A synthetic skeleton action dataset in the NTU RGB+D 3D (or 2D HRNet) annotation format.

Real skeleton datasets cannot be downloaded everywhere, so the demo job trains on data made
here. :func:`make_demo_data` returns, and :func:`make_demo_dataset` pickles, exactly the
structure of PYSKL's ``ntu60_3danno.pkl`` (``kind='3d'``, the default)::

    dict(split=dict(xsub_train=[frame_dir, ...], xsub_val=[...],
                    xview_train=[...], xview_val=[...]),
         annotations=[dict(frame_dir=str, label=int, total_frames=T,
                           keypoint=float32 (M, T, 25, 3),
                           img_shape=(1080, 1920), original_shape=(1080, 1920)), ...])

Skeletons use the 25-joint Kinect v2 layout ``'nturgb+d'`` (see
``pyskl/models/utils/graph.py``) in Kinect camera coordinates, in metres: ``x`` sideways,
``y`` up, ``z`` depth from the camera (the subject stands about 2.5-3.5 m away).

Each sample is a forward-kinematics skeleton (bone lengths scaled by a per-subject body
size) animated by one of :data:`CLASS_NAMES`. Every action starts and ends in the same
neutral standing pose and differs from the others in how it moves, so the classes must be
told apart from motion. As in NTU, each subject performs each action in two replications
(``R001``, ``R002``) seen by three cameras (``C001`` at 0 degrees, ``C002`` at -45, ``C003`` at
+45, plus jitter); ``frame_dir`` is ``S{setup}C{camera}P{subject}R{rep}A{action}`` with the
action 1-indexed (``label + 1``). Per sample there is also variation of position, speed,
duration (``T`` in 40..150 frames), timing, joint noise (about 1 cm), an occasional idle
second person (``M = 2`` in about 15 % of the performances) and occasional leading or
trailing all-zero frames, as real NTU files have.

With ``kind='2d'`` the same 3D samples are seen by a pinhole model of the Kinect v2 colour
camera (:func:`ntu_to_coco_2d`) and written as PYSKL's ``ntu60_hrnet.pkl`` is: 17 COCO joints
in pixels of a 1920x1080 image plus per-joint confidences, for the ``coco``-layout configs and
the video demo (``demo/demo_skeleton.py``)::

    annotations=[dict(frame_dir, label, total_frames,
                      keypoint=float32 (M, T, 17, 2), keypoint_score=float32 (M, T, 17),
                      img_shape=(1080, 1920), original_shape=(1080, 1920)), ...]

Randomness comes only from local ``numpy.random.Generator`` objects seeded from
``(seed, subject, action, replication)``: the output is a pure function of the arguments,
and a sample does not change when the number of subjects or samples changes.

This module imports only numpy and the standard library.
"""
import os
from typing import Callable, Dict, List, Tuple

import numpy as np

__all__ = ['CLASS_NAMES', 'COCO_FROM_NTU', 'KINDS', 'NUM_JOINTS', 'make_demo_data', 'make_demo_dataset',
           'ntu_to_coco_2d', 'summarize', 'val_subjects']

#: Action classes, index = label. ``tools/data/label_map/demo.txt`` lists the same names.
CLASS_NAMES: Tuple[str, ...] = (
    'wave left hand',
    'wave right hand',
    'squat down and stand up',
    'jump up',
    'kick with right leg',
    'bow',
    'clap',
    'turn around',
    'raise both arms',
    'punch',
)

NUM_JOINTS = 25
IMG_SHAPE = (1080, 1920)
#: Viewing angle (degrees, about the vertical axis) of the cameras C001, C002, C003.
CAMERA_YAW = {1: 0.0, 2: -45.0, 3: 45.0}
MIN_FRAMES, MAX_FRAMES = 40, 150
FPS = 30.0
#: Output formats of :func:`make_demo_data`.
KINDS = ('3d', '2d')

# ---------------------------------------------------------------------------------------------
# Skeleton. Body frame: x = the subject's left, y = up, z = the subject's forward
# (right-handed). The forward-kinematics tree is rooted at the spine base (joint 0); as an
# undirected tree it is the same as the 'nturgb+d' graph layout (the tests check this).
# ---------------------------------------------------------------------------------------------
# joint: (parent, rest offset from the parent in metres for a ~1.75 m adult, body part)
_SKELETON = {
    1: (0, (0.0, 0.25, -0.01), 'torso'),      # spine-mid
    20: (1, (0.0, 0.24, 0.0), 'torso'),       # spine-shoulder
    2: (20, (0.0, 0.07, 0.01), 'torso'),      # neck
    3: (2, (0.0, 0.14, 0.02), 'torso'),       # head
    4: (20, (0.17, -0.04, 0.0), 'shoulder'),  # L-shoulder
    5: (4, (0.02, -0.27, 0.0), 'arm'),        # L-elbow
    6: (5, (0.0, -0.25, 0.02), 'arm'),        # L-wrist
    7: (6, (0.0, -0.07, 0.0), 'arm'),         # L-hand
    21: (7, (0.0, -0.07, 0.0), 'arm'),        # L-hand-tip
    22: (7, (-0.01, -0.03, 0.04), 'arm'),     # L-thumb
    12: (0, (0.09, -0.04, 0.0), 'hip'),       # L-hip
    13: (12, (0.0, -0.42, 0.01), 'leg'),      # L-knee
    14: (13, (0.0, -0.40, -0.02), 'leg'),     # L-ankle
    15: (14, (0.0, -0.06, 0.12), 'leg'),      # L-foot
}
_LEFT_TO_RIGHT = {4: 8, 5: 9, 6: 10, 7: 11, 21: 23, 22: 24, 12: 16, 13: 17, 14: 18, 15: 19}
for _l, _r in _LEFT_TO_RIGHT.items():
    _p, (_x, _y, _z), _part = _SKELETON[_l]
    _SKELETON[_r] = (_LEFT_TO_RIGHT.get(_p, _p), (-_x, _y, _z), _part)
del _l, _r, _p, _x, _y, _z, _part

#: FK parent of every joint (the root is its own parent).
FK_PARENTS: Tuple[int, ...] = tuple([0] + [_SKELETON[j][0] for j in range(1, NUM_JOINTS)])


def _topological_order() -> List[int]:
    order, done = [0], {0}
    while len(order) < NUM_JOINTS:
        for j in range(1, NUM_JOINTS):
            if j not in done and FK_PARENTS[j] in done:
                order.append(j)
                done.add(j)
    return order


_FK_ORDER = _topological_order()
_FEET = [14, 15, 18, 19]
# Kinect's hand joints are much noisier than the body joints.
_NOISE_SCALE = np.ones(NUM_JOINTS)
_NOISE_SCALE[[7, 11]] = 1.5
_NOISE_SCALE[[21, 22, 23, 24]] = 2.5
_MIRROR = np.diag([-1.0, 1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# Small rotation / timing helpers. Angles are in radians; ``a`` is a scalar or a (T,) array
# and every rotation is returned as (T, 3, 3).
# ---------------------------------------------------------------------------------------------
def _rot(axis: int, a, T: int) -> np.ndarray:
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


def _rx(a, T):
    """About the body's sideways axis. Positive: a downward bone swings backwards."""
    return _rot(0, a, T)


def _ry(a, T):
    """About the vertical axis (positive turns the subject to their left)."""
    return _rot(1, a, T)


def _rz(a, T):
    """About the forward axis. Positive: a downward bone on the left side swings outwards."""
    return _rot(2, a, T)


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _ramp(t, t0, t1):
    """0 before ``t0``, 1 after ``t1``, smooth in between."""
    return _smoothstep((t - t0) / max(t1 - t0, 1e-6))


def _bump(t, t0, t1):
    """A smooth 0 -> 1 -> 0 pulse over ``[t0, t1]``."""
    x = np.clip((t - t0) / max(t1 - t0, 1e-6), 0.0, 1.0)
    return np.sin(np.pi * x) ** 2


def _deg(x):
    return np.deg2rad(x)


class _Motion:
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
            joint = _LEFT_TO_RIGHT[joint]
            R = _MIRROR @ R @ _MIRROR
        self.rot[joint] = R @ self.rot[joint] if joint in self.rot else R

    def arm(self, right: bool, abd=0.0, flex=0.0, horiz=0.0, elbow=0.0, elbow_side=0.0):
        """Pose an arm (angles as for the left arm; the right one is mirrored).

        ``abd`` raises it sideways, ``flex`` forwards, ``horiz`` swings it towards the midline,
        ``elbow`` bends the forearm forwards, ``elbow_side`` upwards in the frontal plane.
        """
        T = self.T
        self.add(5, _ry(-np.asarray(horiz), T) @ _rz(abd, T) @ _rx(-np.asarray(flex), T), mirror=right)
        self.add(6, _rz(elbow_side, T) @ _rx(-np.asarray(elbow), T), mirror=right)

    def leg(self, right: bool, hip=0.0, knee=0.0, ankle=None, abd=0.0):
        """Pose a leg: ``hip`` swings the thigh forwards, ``knee`` bends the shank backwards,
        ``ankle`` lifts the toes (default: keep the foot level with the thigh-shank chain)."""
        T = self.T
        hip, knee = np.asarray(hip, dtype=float), np.asarray(knee, dtype=float)
        if ankle is None:
            ankle = knee - hip
        self.add(13, _rz(abd, T) @ _rx(-hip, T), mirror=right)
        self.add(14, _rx(knee, T), mirror=right)
        self.add(15, _rx(-np.asarray(ankle), T), mirror=right)

    def spine(self, bend=0.0, twist=0.0, side=0.0, head=0.0):
        """Bend the torso forwards at the hips (``bend``), twist it to the left (``twist``), lean
        it to the left (``side``) and nod the head forwards (``head``)."""
        T = self.T
        self.add(1, _ry(twist, T) @ _rz(-np.asarray(side), T) @ _rx(bend, T))
        self.add(3, _rx(head, T))


# ---------------------------------------------------------------------------------------------
# Actions. Each planner draws its parameters and returns (duration in frames, animate), where
# animate(motion, t) adds the action's rotations for action-relative frame times t (T,).
# Outside [0, duration) every action is in the neutral standing pose.
# ---------------------------------------------------------------------------------------------
Plan = Tuple[int, Callable[[_Motion, np.ndarray], None]]


def _plan_wave(rng, right: bool) -> Plan:
    period = rng.uniform(10, 18)
    cycles = int(rng.integers(2, 6))
    rise = rng.uniform(8, 14)
    dur = int(2 * rise + cycles * period)
    abd = _deg(rng.uniform(95, 135))
    lift = _deg(rng.uniform(70, 100))
    amp = _deg(rng.uniform(20, 35))
    phase0 = rng.uniform(0, 2 * np.pi)

    def animate(m, t):
        up = _ramp(t, 0, rise) * (1 - _ramp(t, dur - rise, dur))
        wave = np.sin(2 * np.pi * (t - rise) / period + phase0) * _ramp(t, rise * 0.5, rise) \
            * (1 - _ramp(t, dur - rise, dur - rise * 0.5))
        m.arm(right, abd=abd * up, flex=_deg(20) * up, elbow_side=lift * up + amp * wave)

    return dur, animate


def _plan_squat(rng) -> Plan:
    reps = int(rng.integers(1, 4))
    per = rng.uniform(28, 45)
    depth = _deg(rng.uniform(65, 100))
    arms = _deg(rng.uniform(50, 90))
    dur = int(reps * per)

    def animate(m, t):
        d = sum(_bump(t, k * per, (k + 1) * per) for k in range(reps))
        for right in (False, True):
            m.leg(right, hip=depth * d, knee=(depth + _deg(30)) * d)
            m.arm(right, flex=arms * d, elbow=_deg(20) * d)
        m.spine(bend=0.55 * depth * d)

    return dur, animate


def _plan_jump(rng) -> Plan:
    reps = int(rng.integers(1, 4))
    crouch, flight, land = rng.uniform(8, 12), rng.uniform(9, 13), rng.uniform(8, 12)
    per = crouch + flight + land + rng.uniform(2, 8)
    height = rng.uniform(0.15, 0.35)
    dur = int(reps * per)

    def animate(m, t):
        bend = np.zeros_like(t)
        air = np.zeros_like(t)
        swing = np.zeros_like(t)
        for k in range(reps):
            t0 = k * per
            bend += _bump(t, t0, t0 + crouch + 2) + _bump(t, t0 + crouch + flight - 2,
                                                           t0 + crouch + flight + land)
            x = (t - t0 - crouch) / flight
            air += np.where((x > 0) & (x < 1), 4 * x * (1 - x), 0.0)
            swing += -0.4 * _bump(t, t0, t0 + crouch + 2) + _bump(t, t0 + crouch - 2, t0 + crouch + flight + 2)
        depth = _deg(45)
        for right in (False, True):
            m.leg(right, hip=depth * bend, knee=1.6 * depth * bend)
            m.arm(right, flex=_deg(130) * swing, elbow=_deg(15) * np.abs(swing))
        m.spine(bend=0.5 * depth * bend)
        m.air += height * air

    return dur, animate


def _plan_kick(rng) -> Plan:
    reps = int(rng.integers(1, 3))
    up, down = rng.uniform(6, 10), rng.uniform(8, 14)
    per = up + down + rng.uniform(6, 14)
    hip = _deg(rng.uniform(60, 95))
    dur = int(reps * per)

    def animate(m, t):
        lift = np.zeros_like(t)
        extend = np.zeros_like(t)
        for k in range(reps):
            t0 = k * per
            lift += _ramp(t, t0, t0 + up) * (1 - _ramp(t, t0 + up, t0 + up + down))
            extend += _bump(t, t0 + 0.4 * up, t0 + up + 0.5 * down)
        knee = _deg(70) * lift * (1 - extend)
        m.leg(True, hip=hip * lift, knee=knee, ankle=-_deg(20) * lift)
        m.leg(False, knee=_deg(10) * lift, hip=_deg(5) * lift)
        m.spine(bend=-_deg(12) * lift)
        for right in (False, True):
            m.arm(right, abd=_deg(35) * lift, elbow=_deg(30) * lift)

    return dur, animate


def _plan_bow(rng) -> Plan:
    reps = int(rng.integers(1, 3))
    down, hold, upt = rng.uniform(12, 22), rng.uniform(3, 12), rng.uniform(12, 22)
    per = down + hold + upt + rng.uniform(0, 8)
    angle = _deg(rng.uniform(40, 75))
    dur = int(reps * per)

    def animate(m, t):
        b = sum(_ramp(t, k * per, k * per + down) * (1 - _ramp(t, k * per + down + hold, k * per + down + hold + upt))
                for k in range(reps))
        m.spine(bend=angle * b, head=_deg(25) * b)
        for right in (False, True):
            # arms hang (roughly) vertically as the torso bends
            m.arm(right, flex=0.85 * angle * b)

    return dur, animate


def _plan_clap(rng) -> Plan:
    claps = int(rng.integers(3, 9))
    period = rng.uniform(9, 15)
    rise = rng.uniform(8, 14)
    flex = _deg(rng.uniform(55, 85))
    dur = int(2 * rise + claps * period)

    def animate(m, t):
        up = _ramp(t, 0, rise) * (1 - _ramp(t, dur - rise, dur))
        active = _ramp(t, rise * 0.6, rise) * (1 - _ramp(t, dur - rise, dur - rise * 0.6))
        together = 0.5 * (1 - np.cos(2 * np.pi * (t - rise) / period))
        horiz = (_deg(10) + _deg(32) * together * active) * up
        for right in (False, True):
            m.arm(right, flex=flex * up, horiz=horiz, elbow=_deg(45) * up)

    return dur, animate


def _plan_turn(rng) -> Plan:
    dur = int(rng.uniform(45, 90))
    angle = _deg(rng.uniform(150, 200)) * rng.choice([-1.0, 1.0])
    steps = int(rng.integers(2, 5))

    def animate(m, t):
        m.yaw += angle * _ramp(t, 0, dur)
        step_len = dur / steps
        for k in range(steps):
            lift = _bump(t, k * step_len, (k + 1) * step_len)
            m.leg(k % 2 == 1, hip=_deg(30) * lift, knee=_deg(50) * lift)
        for right in (False, True):
            m.arm(right, abd=_deg(8) * _bump(t, 0, dur))

    return dur, animate


def _plan_raise(rng) -> Plan:
    reps = int(rng.integers(1, 4))
    rise, hold = rng.uniform(10, 18), rng.uniform(3, 12)
    per = 2 * rise + hold + rng.uniform(0, 6)
    top = _deg(rng.uniform(150, 175))
    sideways = rng.random() < 0.5
    dur = int(reps * per)

    def animate(m, t):
        u = sum(_ramp(t, k * per, k * per + rise) * (1 - _ramp(t, k * per + rise + hold, k * per + 2 * rise + hold))
                for k in range(reps))
        for right in (False, True):
            if sideways:
                m.arm(right, abd=top * u, flex=_deg(10) * u)
            else:
                m.arm(right, flex=top * u, abd=_deg(15) * u)

    return dur, animate


def _plan_punch(rng) -> Plan:
    punches = int(rng.integers(2, 7))
    guard = rng.uniform(8, 12)
    out, back = rng.uniform(4, 7), rng.uniform(5, 9)
    per = out + back + rng.uniform(1, 5)
    first_right = rng.random() < 0.5
    dur = int(2 * guard + punches * per)

    def animate(m, t):
        g = _ramp(t, 0, guard) * (1 - _ramp(t, dur - guard, dur))
        ext = [np.zeros_like(t), np.zeros_like(t)]
        for k in range(punches):
            t0 = guard + k * per
            side = (k + int(first_right)) % 2
            ext[side] += _ramp(t, t0, t0 + out) * (1 - _ramp(t, t0 + out, t0 + out + back))
        for side, right in enumerate((False, True)):
            e = ext[side]
            m.arm(right, flex=(_deg(40) + _deg(45) * e) * g, horiz=_deg(20) * e * g,
                  elbow=(_deg(115) * (1 - e) + _deg(5) * e) * g)
        m.spine(twist=_deg(15) * (ext[1] - ext[0]) * g)

    return dur, animate


_PLANNERS: Tuple[Callable[[np.random.Generator], Plan], ...] = (
    lambda rng: _plan_wave(rng, right=False),
    lambda rng: _plan_wave(rng, right=True),
    _plan_squat,
    _plan_jump,
    _plan_kick,
    _plan_bow,
    _plan_clap,
    _plan_turn,
    _plan_raise,
    _plan_punch,
)
assert len(_PLANNERS) == len(CLASS_NAMES)


def _idle(m: _Motion, rng: np.random.Generator, t: np.ndarray, scale: float = 1.0):
    """Small slow sway of torso, head and arms (every person, every frame)."""
    def wobble(amp_deg):
        f = rng.uniform(0.2, 0.6) / FPS
        return _deg(amp_deg * scale) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))

    m.spine(bend=wobble(2), side=wobble(2), twist=wobble(3), head=wobble(4))
    for right in (False, True):
        m.arm(right, abd=_deg(6) + wobble(3), flex=wobble(4), elbow=_deg(10) + wobble(5))


# ---------------------------------------------------------------------------------------------
# Bodies, forward kinematics and cameras
# ---------------------------------------------------------------------------------------------
def _body_offsets(rng: np.random.Generator) -> np.ndarray:
    """Rest bone offsets (25, 3) of one subject: overall size and proportions vary."""
    size = rng.uniform(0.86, 1.1)
    part_scale = {part: size * rng.uniform(0.95, 1.05) for part in ('torso', 'shoulder', 'arm', 'hip', 'leg')}
    offsets = np.zeros((NUM_JOINTS, 3))
    for j, (_, off, part) in _SKELETON.items():
        offsets[j] = np.asarray(off) * part_scale[part]
    return offsets


def _forward_kinematics(m: _Motion, offsets: np.ndarray) -> np.ndarray:
    """Joint positions (T, 25, 3) in a floor frame (y = 0 on the floor, the body above the
    origin) from the local rotations of ``m`` and rest offsets (25, 3)."""
    T = m.T
    glob = {0: _ry(m.yaw, T)}
    pos = np.zeros((T, NUM_JOINTS, 3))
    for j in _FK_ORDER[1:]:
        p = FK_PARENTS[j]
        g = glob[p] @ m.rot[j] if j in m.rot else glob[p]
        glob[j] = g
        pos[:, j] = pos[:, p] + g @ offsets[j]
    # stand on the floor: the lowest foot joint touches y = 0, then add the jump height
    pos[..., 1] -= pos[:, _FEET, 1].min(axis=1, keepdims=True)
    pos[..., 1] += m.air[:, None]
    return pos


def _to_camera(pos: np.ndarray, yaw_deg: float, pitch_deg: float, cam_height: float,
               shift: np.ndarray) -> np.ndarray:
    """Floor-frame positions (..., 3) -> Kinect camera coordinates (..., 3).

    The subject faces the camera at ``yaw_deg = 0``; ``yaw_deg`` is the camera's viewing angle
    about the vertical axis, ``pitch_deg`` its tilt, ``cam_height`` its height above the floor,
    ``shift`` (3,) the subject's (x, 0, z) position in camera space.
    """
    face = _ry(np.pi + _deg(yaw_deg), 1)[0]  # the body's forward axis points to the camera (-z)
    tilt = _rx(_deg(pitch_deg), 1)[0]
    out = pos @ (tilt @ face).T
    out = out + np.array([0.0, -cam_height, 0.0]) + shift
    return out


# ---------------------------------------------------------------------------------------------
# 2D: the Kinect v2 colour camera and the NTU-25 -> COCO-17 joint map
# ---------------------------------------------------------------------------------------------
#: Pinhole intrinsics (pixels) of the Kinect v2 colour camera, 1920x1080 (vertical FOV ~54 deg).
COLOR_FX = COLOR_FY = 1050.0
COLOR_CX, COLOR_CY = 960.0, 540.0

#: NTU joint of each COCO body joint 5..16 (shoulders, elbows, wrists, hips, knees, ankles; the
#: subject's left first, as COCO and 'nturgb+d' both name sides). COCO 0..4 (nose, eyes, ears)
#: have no NTU joint: they are placed on the head, see :data:`_FACE`.
COCO_FROM_NTU: Dict[int, int] = {5: 4, 6: 8, 7: 5, 8: 9, 9: 6, 10: 10, 11: 12, 12: 16, 13: 13, 14: 17,
                                 15: 14, 16: 18}
_NTU_HEAD, _NTU_NECK, _NTU_L_SHOULDER, _NTU_R_SHOULDER = 3, 2, 4, 8
_REST_NECK_HEAD = float(np.linalg.norm(_SKELETON[3][1]))
# COCO face joint: offset from the NTU head joint (about the centre of the head) in the head frame
# (subject's left, up along neck -> head, forward), metres for the rest skeleton.
_FACE = {
    0: (0.0, -0.01, 0.10),     # nose
    1: (0.032, 0.025, 0.085),  # L-eye
    2: (-0.032, 0.025, 0.085),  # R-eye
    3: (0.075, 0.005, 0.0),    # L-ear
    4: (-0.075, 0.005, 0.0),   # R-ear
}
_SCORE_MEAN, _SCORE_STD = 0.9, 0.03
_SCORE_CLIPPED = 0.3  # confidence of a joint that fell outside the image (placed on the border)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def ntu_to_coco_2d(keypoint: np.ndarray, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """See NTU-25 skeletons in Kinect camera space with the colour camera, as COCO-17 joints.

    Body joints (shoulders .. ankles) are the corresponding NTU joints (:data:`COCO_FROM_NTU`);
    nose, eyes and ears are placed around the NTU head joint in a head frame built from the
    neck -> head direction (up) and the right -> left shoulder line (the subject's left), scaled
    by the subject's neck-head length. Camera-space points ``(x, y, z)`` (metres; ``x`` towards
    the camera's left, ``y`` up, ``z`` depth, right-handed as Kinect's) project to pixels
    ``u = cx - fx * x / z``, ``v = cy - fy * y / z``, an ordinary (not mirrored) image with ``v``
    pointing down, so the subject's left appears on the image's right when they face the camera,
    as a 2D pose estimator names it.

    Scores are about 0.9 (+- 0.03 noise); nose and eyes lose up to 0.6 when the face turns away
    from the camera; joints that project outside the 1920x1080 image are moved onto its border
    with score 0.3; persons' all-zero (not tracked) frames stay zero with score 0.

    Args:
        keypoint (np.ndarray): (M, T, 25, 3) camera-space NTU joints in metres; all-zero frames
            mean "not tracked".
        rng (np.random.Generator): Source of the score noise.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``keypoint`` float32 (M, T, 17, 2) in pixels and
        ``keypoint_score`` float32 (M, T, 17).
    """
    kp = np.asarray(keypoint, dtype=np.float64)
    if kp.ndim != 4 or kp.shape[2:] != (NUM_JOINTS, 3):
        raise ValueError(f'ntu_to_coco_2d: keypoint must be (M, T, {NUM_JOINTS}, 3), got {kp.shape}')
    M, T = kp.shape[:2]
    valid = np.abs(kp).sum(axis=(2, 3)) > 0  # (M, T)
    pts = np.zeros((M, T, 17, 3))
    for c, n in COCO_FROM_NTU.items():
        pts[:, :, c] = kp[:, :, n]
    head, neck = kp[:, :, _NTU_HEAD], kp[:, :, _NTU_NECK]
    up = _unit(head - neck)
    left = kp[:, :, _NTU_L_SHOULDER] - kp[:, :, _NTU_R_SHOULDER]
    left = _unit(left - (left * up).sum(-1, keepdims=True) * up)
    forward = np.cross(left, up)  # body frame: left x up = forward (right-handed)
    scale = np.linalg.norm(head - neck, axis=-1, keepdims=True) / _REST_NECK_HEAD
    for c, (a, b, f) in _FACE.items():
        pts[:, :, c] = head + scale * (a * left + b * up + f * forward)

    z = np.where(valid[..., None], pts[..., 2], 1.0)
    u = COLOR_CX - COLOR_FX * pts[..., 0] / z
    v = COLOR_CY - COLOR_FY * pts[..., 1] / z
    score = rng.normal(_SCORE_MEAN, _SCORE_STD, size=(M, T, 17))
    # facing away: forward points away from the camera (along +z, the viewing direction)
    away = np.clip(_unit(forward)[..., 2], 0.0, 1.0)
    score[..., :3] -= 0.6 * away[..., None]
    h, w = IMG_SHAPE
    outside = (u < 0) | (u > w - 1) | (v < 0) | (v > h - 1)
    score[outside] = _SCORE_CLIPPED
    out = np.stack([np.clip(u, 0, w - 1), np.clip(v, 0, h - 1)], axis=-1)
    out[~valid] = 0
    score = np.clip(score, 0.05, 1.0)
    score[~valid] = 0
    return np.ascontiguousarray(out, dtype=np.float32), np.ascontiguousarray(score, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------------------------
def _frame_dir(setup: int, camera: int, subject: int, rep: int, action: int) -> str:
    return f'S{setup:03d}C{camera:03d}P{subject:03d}R{rep:03d}A{action:03d}'


def _setup_of(subject: int) -> int:
    return 1 + (subject - 1) % 17


def val_subjects(num_subjects: int) -> List[int]:
    """Subject ids (1-indexed) of the cross-subject validation split: about 30 % of the
    ``num_subjects`` subjects, spread evenly over the ids."""
    n_val = min(max(1, int(round(0.3 * num_subjects))), num_subjects - 1)
    return sorted({1 + int((k + 0.5) * num_subjects / n_val) for k in range(n_val)})


def _performance(seed: int, subject: int, label: int, rep: int, offsets: np.ndarray):
    """One performance (seen by all three cameras): floor-frame skeletons (M, T, 25, 3)."""
    rng = np.random.default_rng([seed, subject, label, rep])
    dur, animate = _PLANNERS[label](rng)
    pre, post = int(rng.integers(3, 16)), int(rng.integers(3, 16))
    T = pre + dur + post
    if T < MIN_FRAMES:
        extra = MIN_FRAMES - T
        pre += extra // 2
        post += extra - extra // 2
        T = MIN_FRAMES
    if T > MAX_FRAMES:  # planners stay below this; keep the guarantee anyway
        T = MAX_FRAMES
    t = np.arange(T, dtype=np.float64)
    main = _Motion(T)
    _idle(main, rng, t)
    animate(main, t - pre)
    main.yaw += _deg(rng.uniform(-10, 10))
    persons = [_forward_kinematics(main, offsets)]

    if rng.random() < 0.15:  # an idle bystander
        other = _Motion(T)
        _idle(other, rng, t, scale=2.0)
        other.yaw += _deg(rng.uniform(-35, 35))
        body = _forward_kinematics(other, _body_offsets(rng))
        side = rng.choice([-1.0, 1.0])
        body += np.array([side * rng.uniform(0.8, 1.4), 0.0, rng.uniform(-0.4, 0.6)])
        persons.append(body)
    return rng, np.stack(persons)


def _camera_sample(rng: np.random.Generator, persons: np.ndarray, camera: int) -> np.ndarray:
    """Project one performance (M, T, 25, 3) into one camera, add noise and occasional
    all-zero frames. Returns float32 (M, T, 25, 3)."""
    M, T = persons.shape[:2]
    kp = _to_camera(persons,
                    yaw_deg=CAMERA_YAW[camera] + rng.uniform(-8, 8),
                    pitch_deg=rng.uniform(-6, 6),
                    cam_height=rng.uniform(0.8, 1.2),
                    shift=np.array([rng.uniform(-0.5, 0.5), 0.0, rng.uniform(2.5, 3.5)]))
    kp = kp + rng.normal(0.0, 0.006, size=kp.shape) * _NOISE_SCALE[:, None]
    if rng.random() < 0.2:  # the tracker picks the main person up late / loses them early
        kp[0, :int(rng.integers(0, 5))] = 0
        kp[0, T - int(rng.integers(0, 5)):] = 0
    for m in range(1, M):  # bystanders come and go more often
        if rng.random() < 0.5:
            kp[m, :int(rng.integers(0, T // 3))] = 0
        if rng.random() < 0.5:
            kp[m, T - int(rng.integers(0, T // 3)):] = 0
    return np.ascontiguousarray(kp, dtype=np.float32)


def make_demo_data(num_subjects: int = 20, samples_per_class_per_subject: int = 6, seed: int = 0,
                   kind: str = '3d') -> dict:
    """Generate the synthetic dataset in memory.

    Args:
        num_subjects (int): Number of subjects (>= 2); about 30 % of them (see
            :func:`val_subjects`) form ``xsub_val``.
        samples_per_class_per_subject (int): Samples of each action per subject (>= 1). Sample
            ``k`` is replication ``k // 3 + 1`` seen by camera ``k % 3 + 1``; the cameras of one
            replication see the same performance, as in NTU.
        seed (int): Seed; the result is a deterministic function of the arguments.
        kind (str): ``'3d'``: PYSKL's NTU 3D format, ``keypoint`` float32 (M, T, 25, 3) in
            metres. ``'2d'``: the same samples (same names, splits, frames and persons) in
            PYSKL's NTU HRNet format, ``keypoint`` float32 (M, T, 17, 2) in pixels and
            ``keypoint_score`` float32 (M, T, 17) (see :func:`ntu_to_coco_2d`).

    Returns:
        dict: ``dict(split=dict(xsub_train, xsub_val, xview_train, xview_val),
        annotations=[...])``.
    """
    if isinstance(num_subjects, bool) or not isinstance(num_subjects, (int, np.integer)) or num_subjects < 2:
        raise ValueError(f'num_subjects must be an int >= 2 (train and val need a subject each), got {num_subjects!r}')
    if (isinstance(samples_per_class_per_subject, bool)
            or not isinstance(samples_per_class_per_subject, (int, np.integer))
            or samples_per_class_per_subject < 1):
        raise ValueError(f'samples_per_class_per_subject must be an int >= 1, got {samples_per_class_per_subject!r}')
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be a non-negative int, got {seed!r}')
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    seed, num_subjects, n = int(seed), int(num_subjects), int(samples_per_class_per_subject)

    val_ids = set(val_subjects(num_subjects))
    split = dict(xsub_train=[], xsub_val=[], xview_train=[], xview_val=[])
    annotations = []
    for subject in range(1, num_subjects + 1):
        offsets = _body_offsets(np.random.default_rng([seed, subject]))
        for label in range(len(CLASS_NAMES)):
            for rep in range(1, (n + 2) // 3 + 1):
                rng, persons = _performance(seed, subject, label, rep, offsets)
                for camera in range(1, min(3, n - 3 * (rep - 1)) + 1):
                    kp = _camera_sample(rng, persons, camera)
                    name = _frame_dir(_setup_of(subject), camera, subject, rep, label + 1)
                    ann = dict(frame_dir=name, label=label, total_frames=int(kp.shape[1]), keypoint=kp)
                    if kind == '2d':
                        # its own generator: the 3D samples are the same whichever kind is made
                        score_rng = np.random.default_rng([seed, subject, label, rep, camera, 2])
                        ann['keypoint'], ann['keypoint_score'] = ntu_to_coco_2d(kp, score_rng)
                    ann.update(img_shape=IMG_SHAPE, original_shape=IMG_SHAPE)
                    annotations.append(ann)
                    split['xsub_val' if subject in val_ids else 'xsub_train'].append(name)
                    split['xview_val' if camera == 1 else 'xview_train'].append(name)
    return dict(split=split, annotations=annotations)


def summarize(data: dict) -> dict:
    """Counts of a dataset dict: ``dict(num_samples, num_classes, class_names,
    splits={split: count}, per_class={split: [count of label 0, 1, ...]})``."""
    labels = {a['frame_dir']: a['label'] for a in data['annotations']}
    per_class = {}
    for name, dirs in data['split'].items():
        counts = [0] * len(CLASS_NAMES)
        for d in dirs:
            counts[labels[d]] += 1
        per_class[name] = counts
    return dict(num_samples=len(data['annotations']), num_classes=len(CLASS_NAMES),
                class_names=list(CLASS_NAMES),
                splits={k: len(v) for k, v in data['split'].items()}, per_class=per_class)


def make_demo_dataset(out_file: str, num_subjects: int = 20, samples_per_class_per_subject: int = 6,
                      seed: int = 0, kind: str = '3d') -> dict:
    """Generate the dataset (see :func:`make_demo_data`) and pickle it to ``out_file``
    (protocol 4, written atomically by :func:`pyskl.core.io.dump_pickle`; numpy arrays and
    builtins only), creating parent folders.

    Returns:
        dict: :func:`summarize` of the data plus ``out_file``.
    """
    # imported here so that the module itself needs nothing but numpy and the standard library
    from pyskl.core.io import dump_pickle

    data = make_demo_data(num_subjects, samples_per_class_per_subject, seed, kind)
    out_file = os.fspath(out_file)
    dump_pickle(data, out_file, protocol=4)
    summary = summarize(data)
    summary['out_file'] = out_file
    return summary

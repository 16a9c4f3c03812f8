"""The synthetic actions: :data:`ACTIONS`, one table from class name to planner (numpy only).

The class index (label) of an action is its position in the table; :data:`CLASS_NAMES` is the table's
keys, and ``tools/data/label_map/demo.txt`` lists the same names (a test checks it).

Each planner draws its parameters from a ``numpy.random.Generator`` and returns ``(duration in frames,
animate)``, where ``animate(motion, t)`` adds the action's rotations to a :class:`~.kinematics.Motion`
for action-relative frame times ``t`` (T,). Outside ``[0, duration)`` every action is in the neutral
standing pose.
"""

from typing import Callable, Dict, Tuple

import numpy as np

from .kinematics import FPS, Motion, bump, deg, ramp

__all__ = ['ACTIONS', 'CLASS_NAMES', 'Plan', 'Planner', 'idle']

Plan = Tuple[int, Callable[[Motion, np.ndarray], None]]
Planner = Callable[[np.random.Generator], Plan]


def _plan_wave(rng, right: bool) -> Plan:
    period = rng.uniform(10, 18)
    cycles = int(rng.integers(2, 6))
    rise = rng.uniform(8, 14)
    dur = int(2 * rise + cycles * period)
    abd = deg(rng.uniform(95, 135))
    lift = deg(rng.uniform(70, 100))
    amp = deg(rng.uniform(20, 35))
    phase0 = rng.uniform(0, 2 * np.pi)

    def animate(m, t):
        up = ramp(t, 0, rise) * (1 - ramp(t, dur - rise, dur))
        wave = (
            np.sin(2 * np.pi * (t - rise) / period + phase0)
            * ramp(t, rise * 0.5, rise)
            * (1 - ramp(t, dur - rise, dur - rise * 0.5))
        )
        m.arm(right, abd=abd * up, flex=deg(20) * up, elbow_side=lift * up + amp * wave)

    return dur, animate


def _plan_squat(rng) -> Plan:
    reps = int(rng.integers(1, 4))
    per = rng.uniform(28, 45)
    depth = deg(rng.uniform(65, 100))
    arms = deg(rng.uniform(50, 90))
    dur = int(reps * per)

    def animate(m, t):
        d = sum(bump(t, k * per, (k + 1) * per) for k in range(reps))
        for right in (False, True):
            m.leg(right, hip=depth * d, knee=(depth + deg(30)) * d)
            m.arm(right, flex=arms * d, elbow=deg(20) * d)
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
            bend += bump(t, t0, t0 + crouch + 2) + bump(t, t0 + crouch + flight - 2, t0 + crouch + flight + land)
            x = (t - t0 - crouch) / flight
            air += np.where((x > 0) & (x < 1), 4 * x * (1 - x), 0.0)
            swing += -0.4 * bump(t, t0, t0 + crouch + 2) + bump(t, t0 + crouch - 2, t0 + crouch + flight + 2)
        depth = deg(45)
        for right in (False, True):
            m.leg(right, hip=depth * bend, knee=1.6 * depth * bend)
            m.arm(right, flex=deg(130) * swing, elbow=deg(15) * np.abs(swing))
        m.spine(bend=0.5 * depth * bend)
        m.air += height * air

    return dur, animate


def _plan_kick(rng) -> Plan:
    reps = int(rng.integers(1, 3))
    up, down = rng.uniform(6, 10), rng.uniform(8, 14)
    per = up + down + rng.uniform(6, 14)
    hip = deg(rng.uniform(60, 95))
    dur = int(reps * per)

    def animate(m, t):
        lift = np.zeros_like(t)
        extend = np.zeros_like(t)
        for k in range(reps):
            t0 = k * per
            lift += ramp(t, t0, t0 + up) * (1 - ramp(t, t0 + up, t0 + up + down))
            extend += bump(t, t0 + 0.4 * up, t0 + up + 0.5 * down)
        knee = deg(70) * lift * (1 - extend)
        m.leg(True, hip=hip * lift, knee=knee, ankle=-deg(20) * lift)
        m.leg(False, knee=deg(10) * lift, hip=deg(5) * lift)
        m.spine(bend=-deg(12) * lift)
        for right in (False, True):
            m.arm(right, abd=deg(35) * lift, elbow=deg(30) * lift)

    return dur, animate


def _plan_bow(rng) -> Plan:
    reps = int(rng.integers(1, 3))
    down, hold, upt = rng.uniform(12, 22), rng.uniform(3, 12), rng.uniform(12, 22)
    per = down + hold + upt + rng.uniform(0, 8)
    angle = deg(rng.uniform(40, 75))
    dur = int(reps * per)

    def animate(m, t):
        b = sum(
            ramp(t, k * per, k * per + down) * (1 - ramp(t, k * per + down + hold, k * per + down + hold + upt))
            for k in range(reps)
        )
        m.spine(bend=angle * b, head=deg(25) * b)
        for right in (False, True):
            # arms hang (roughly) vertically as the torso bends
            m.arm(right, flex=0.85 * angle * b)

    return dur, animate


def _plan_clap(rng) -> Plan:
    claps = int(rng.integers(3, 9))
    period = rng.uniform(9, 15)
    rise = rng.uniform(8, 14)
    flex = deg(rng.uniform(55, 85))
    dur = int(2 * rise + claps * period)

    def animate(m, t):
        up = ramp(t, 0, rise) * (1 - ramp(t, dur - rise, dur))
        active = ramp(t, rise * 0.6, rise) * (1 - ramp(t, dur - rise, dur - rise * 0.6))
        together = 0.5 * (1 - np.cos(2 * np.pi * (t - rise) / period))
        horiz = (deg(10) + deg(32) * together * active) * up
        for right in (False, True):
            m.arm(right, flex=flex * up, horiz=horiz, elbow=deg(45) * up)

    return dur, animate


def _plan_turn(rng) -> Plan:
    dur = int(rng.uniform(45, 90))
    angle = deg(rng.uniform(150, 200)) * rng.choice([-1.0, 1.0])
    steps = int(rng.integers(2, 5))

    def animate(m, t):
        m.yaw += angle * ramp(t, 0, dur)
        step_len = dur / steps
        for k in range(steps):
            lift = bump(t, k * step_len, (k + 1) * step_len)
            m.leg(k % 2 == 1, hip=deg(30) * lift, knee=deg(50) * lift)
        for right in (False, True):
            m.arm(right, abd=deg(8) * bump(t, 0, dur))

    return dur, animate


def _plan_raise(rng) -> Plan:
    reps = int(rng.integers(1, 4))
    rise, hold = rng.uniform(10, 18), rng.uniform(3, 12)
    per = 2 * rise + hold + rng.uniform(0, 6)
    top = deg(rng.uniform(150, 175))
    sideways = rng.random() < 0.5
    dur = int(reps * per)

    def animate(m, t):
        u = sum(
            ramp(t, k * per, k * per + rise) * (1 - ramp(t, k * per + rise + hold, k * per + 2 * rise + hold))
            for k in range(reps)
        )
        for right in (False, True):
            if sideways:
                m.arm(right, abd=top * u, flex=deg(10) * u)
            else:
                m.arm(right, flex=top * u, abd=deg(15) * u)

    return dur, animate


def _plan_punch(rng) -> Plan:
    punches = int(rng.integers(2, 7))
    guard = rng.uniform(8, 12)
    out, back = rng.uniform(4, 7), rng.uniform(5, 9)
    per = out + back + rng.uniform(1, 5)
    first_right = rng.random() < 0.5
    dur = int(2 * guard + punches * per)

    def animate(m, t):
        g = ramp(t, 0, guard) * (1 - ramp(t, dur - guard, dur))
        ext = [np.zeros_like(t), np.zeros_like(t)]
        for k in range(punches):
            t0 = guard + k * per
            side = (k + int(first_right)) % 2
            ext[side] += ramp(t, t0, t0 + out) * (1 - ramp(t, t0 + out, t0 + out + back))
        for side, right in enumerate((False, True)):
            e = ext[side]
            m.arm(
                right,
                flex=(deg(40) + deg(45) * e) * g,
                horiz=deg(20) * e * g,
                elbow=(deg(115) * (1 - e) + deg(5) * e) * g,
            )
        m.spine(twist=deg(15) * (ext[1] - ext[0]) * g)

    return dur, animate


#: Action class name -> planner; the order is the label order (label = position).
ACTIONS: Dict[str, Planner] = {
    'wave left hand': lambda rng: _plan_wave(rng, right=False),
    'wave right hand': lambda rng: _plan_wave(rng, right=True),
    'squat down and stand up': _plan_squat,
    'jump up': _plan_jump,
    'kick with right leg': _plan_kick,
    'bow': _plan_bow,
    'clap': _plan_clap,
    'turn around': _plan_turn,
    'raise both arms': _plan_raise,
    'punch': _plan_punch,
}
#: Action classes, index = label (the keys of :data:`ACTIONS`).
CLASS_NAMES: Tuple[str, ...] = tuple(ACTIONS)


def idle(m: Motion, rng: np.random.Generator, t: np.ndarray, scale: float = 1.0):
    """Small slow sway of torso, head and arms (every person, every frame)."""

    def wobble(amp_deg):
        f = rng.uniform(0.2, 0.6) / FPS
        return deg(amp_deg * scale) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))

    m.spine(bend=wobble(2), side=wobble(2), twist=wobble(3), head=wobble(4))
    for right in (False, True):
        m.arm(right, abd=deg(6) + wobble(3), flex=wobble(4), elbow=deg(10) + wobble(5))

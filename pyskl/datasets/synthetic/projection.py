"""Cameras: the 3D Kinect views of a performance and the 2D COCO-17 projection (numpy only).

:func:`camera_sample` sees a floor-frame performance from one of NTU's three cameras (``C001`` at 0 degrees,
``C002`` at -45, ``C003`` at +45, plus jitter) in Kinect camera coordinates, in metres; :func:`ntu_to_coco_2d`
sees such NTU-25 skeletons with a pinhole model of the Kinect v2 colour camera as COCO-17 joints in pixels.
"""

from typing import Dict, Tuple

import numpy as np

from .kinematics import NOISE_SCALE, NUM_JOINTS, SKELETON, deg, rx, ry

__all__ = ['CAMERA_YAW', 'COCO_FROM_NTU', 'IMG_SHAPE', 'camera_sample', 'ntu_to_coco_2d']

IMG_SHAPE = (1080, 1920)
#: Viewing angle (degrees, about the vertical axis) of the cameras C001, C002, C003.
CAMERA_YAW = {1: 0.0, 2: -45.0, 3: 45.0}


def to_camera(pos: np.ndarray, yaw_deg: float, pitch_deg: float, cam_height: float, shift: np.ndarray) -> np.ndarray:
    """Floor-frame positions (..., 3) -> Kinect camera coordinates (..., 3).

    The subject faces the camera at ``yaw_deg = 0``; ``yaw_deg`` is the camera's viewing angle
    about the vertical axis, ``pitch_deg`` its tilt, ``cam_height`` its height above the floor,
    ``shift`` (3,) the subject's (x, 0, z) position in camera space.
    """
    face = ry(np.pi + deg(yaw_deg), 1)[0]  # the body's forward axis points to the camera (-z)
    tilt = rx(deg(pitch_deg), 1)[0]
    out = pos @ (tilt @ face).T
    out = out + np.array([0.0, -cam_height, 0.0]) + shift
    return out


def camera_sample(rng: np.random.Generator, persons: np.ndarray, camera: int) -> np.ndarray:
    """Project one performance (M, T, 25, 3) into one camera, add noise and occasional
    all-zero frames. Returns float32 (M, T, 25, 3)."""
    M, T = persons.shape[:2]
    kp = to_camera(
        persons,
        yaw_deg=CAMERA_YAW[camera] + rng.uniform(-8, 8),
        pitch_deg=rng.uniform(-6, 6),
        cam_height=rng.uniform(0.8, 1.2),
        shift=np.array([rng.uniform(-0.5, 0.5), 0.0, rng.uniform(2.5, 3.5)]),
    )
    kp = kp + rng.normal(0.0, 0.006, size=kp.shape) * NOISE_SCALE[:, None]
    if rng.random() < 0.2:  # the tracker picks the main person up late / loses them early
        kp[0, : int(rng.integers(0, 5))] = 0
        kp[0, T - int(rng.integers(0, 5)) :] = 0
    for m in range(1, M):  # bystanders come and go more often
        if rng.random() < 0.5:
            kp[m, : int(rng.integers(0, T // 3))] = 0
        if rng.random() < 0.5:
            kp[m, T - int(rng.integers(0, T // 3)) :] = 0
    return np.ascontiguousarray(kp, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# 2D: the Kinect v2 colour camera and the NTU-25 -> COCO-17 joint map
# ---------------------------------------------------------------------------------------------
#: Pinhole intrinsics (pixels) of the Kinect v2 colour camera, 1920x1080 (vertical FOV ~54 deg).
COLOR_FX = COLOR_FY = 1050.0
COLOR_CX, COLOR_CY = 960.0, 540.0

#: NTU joint of each COCO body joint 5..16 (shoulders, elbows, wrists, hips, knees, ankles; the
#: subject's left first, as COCO and 'nturgb+d' both name sides). COCO 0..4 (nose, eyes, ears)
#: have no NTU joint: they are placed on the head, see :data:`_FACE`.
COCO_FROM_NTU: Dict[int, int] = {5: 4, 6: 8, 7: 5, 8: 9, 9: 6, 10: 10, 11: 12, 12: 16, 13: 13, 14: 17, 15: 14, 16: 18}
_NTU_HEAD, _NTU_NECK, _NTU_L_SHOULDER, _NTU_R_SHOULDER = 3, 2, 4, 8
_REST_NECK_HEAD = float(np.linalg.norm(SKELETON[3][0]))
# COCO face joint: offset from the NTU head joint (about the centre of the head) in the head frame
# (subject's left, up along neck -> head, forward), metres for the rest skeleton.
_FACE = {
    0: (0.0, -0.01, 0.10),  # nose
    1: (0.032, 0.025, 0.085),  # L-eye
    2: (-0.032, 0.025, 0.085),  # R-eye
    3: (0.075, 0.005, 0.0),  # L-ear
    4: (-0.075, 0.005, 0.0),  # R-ear
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

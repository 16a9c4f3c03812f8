"""Skeleton normalisation, augmentation and feature generation.

All transforms read ``results['keypoint']`` ``(M, T, V, C)`` (M persons, T frames, V joints,
C channels), never modify it in place, and write a new float32 array back.
Training-time randomness comes only from ``results['rng']`` (a ``numpy.random.Generator``).
"""

from numbers import Real

import numpy as np
from mmcv.transforms import BaseTransform

from pyskl.core.layout import FEATS, get_layout, joint_index
from pyskl.core.validation import as_img_shape
from pyskl.registry import TRANSFORMS

from ._utils import get_img_shape, get_keypoint, get_rng, pop_merged_keypoint, transform_error


def _angle_between(v1, v2):
    """Angle in radians between two 3-vectors; 0 if either is (almost) zero."""
    if np.abs(v1).sum() < 1e-6 or np.abs(v2).sum() < 1e-6:
        return 0.0
    u1 = v1 / np.linalg.norm(v1)
    u2 = v2 / np.linalg.norm(v2)
    return float(np.arccos(np.clip(np.dot(u1, u2), -1.0, 1.0)))


def _axis_angle_matrix(axis, theta):
    """``(3, 3)`` matrix ``R`` of the rotation by ``theta`` about ``axis`` (counter-clockwise
    looking down the axis), applied as ``x' = R @ x``. Identity for a (near-)zero axis or angle."""
    axis = np.asarray(axis, dtype=np.float64)
    if np.abs(axis).sum() < 1e-6 or abs(theta) < 1e-6:
        return np.eye(3)
    axis = axis / np.sqrt(np.dot(axis, axis))
    a = np.cos(theta / 2.0)
    b, c, d = -axis * np.sin(theta / 2.0)
    aa, bb, cc, dd = a * a, b * b, c * c, d * d
    bc, ad, ac, ab, bd, cd = b * c, a * d, a * c, a * b, b * d, c * d
    return np.array(
        [
            [aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac)],
            [2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab)],
            [2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc],
        ]
    )


def _align_matrix(vector, target):
    """Rotation that takes the direction of ``vector`` to ``target``."""
    return _axis_angle_matrix(np.cross(vector, target), _angle_between(vector, target))


# PreNormalize3D's defaults, named on the NTU RGB+D layout: spine (base -> middle), shoulders (right, left),
# and the centre of 25-joint skeletons (the spine's middle)
_NTU = get_layout('nturgb+d')
_NTU_SPINE = joint_index(_NTU, 'spine_base', 'spine_mid')  # (0, 1)
_NTU_SHOULDERS = joint_index(_NTU, 'right_shoulder', 'left_shoulder')  # (8, 4)
_NTU_CENTER = joint_index(_NTU, 'spine_mid')[0]  # 1


def _joint_pair(name, value):
    pair = tuple(int(v) for v in value)
    if len(pair) != 2 or any(v != w for v, w in zip(pair, value)):
        raise ValueError(f'PreNormalize3D: {name} must be two joint indices, got {value!r}')
    return pair


@TRANSFORMS.register_module()
class PreNormalize3D(BaseTransform):
    """Normalise 3D (Kinect) skeletons: drop empty frames, centre on the body, align the spine
    with +z and the shoulders with +x (as PYSKL / 2s-AGCN do for NTU RGB+D).

    Frames where the main person is all zero are dropped (with two persons, the one with more
    non-zero frames is the main one and is moved first) and ``total_frames`` becomes the new T.
    The centre (joint 1, NTU's spine middle, of person 0, frame 0 for 25-joint skeletons, else the last joint) is
    subtracted from every joint that is not all zero, then the skeleton is rotated so that
    ``joint[zaxis[1]] - joint[zaxis[0]]`` (person 0, frame 0) points along +z and then
    ``joint[xaxis[0]] - joint[xaxis[1]]`` along +x. An all-zero skeleton passes through unchanged.

    Required keys: ``keypoint`` ``(M, T, V, 3)``, ``total_frames`` (optional).
    Modified keys: ``keypoint`` float32 ``(M, T', V, 3)``, ``total_frames`` (T').
    Added keys: ``body_center`` float32 ``(3,)`` (the centre joint before centring).

    Args:
        zaxis (Sequence[int]): (bottom, top) joints of the spine. Defaults to NTU's (0, 1) (spine base, middle).
        xaxis (Sequence[int]): (right, left) shoulder joints. Defaults to NTU's (8, 4).
        align_spine (bool): Rotate to align spine and shoulders. Defaults to True.
        align_center (bool): Subtract the body centre. Defaults to True.
    """

    def __init__(self, zaxis=_NTU_SPINE, xaxis=_NTU_SHOULDERS, align_spine=True, align_center=True):
        self.zaxis = _joint_pair('zaxis', zaxis)
        self.xaxis = _joint_pair('xaxis', xaxis)
        self.align_spine = bool(align_spine)
        self.align_center = bool(align_center)

    def transform(self, results):
        skeleton = get_keypoint(self, results, channels=(3,))
        M, T, V, C = skeleton.shape
        total_frames = results.get('total_frames', T)
        if total_frames != T:
            raise transform_error(
                self, results, f'total_frames={total_frames} but keypoint has {T} frames (shape {skeleton.shape})'
            )
        if self.align_spine and max(self.zaxis + self.xaxis) >= V:
            raise transform_error(
                self, results, f'zaxis={self.zaxis} / xaxis={self.xaxis} name joints outside the {V} joints of keypoint'
            )
        if not np.any(skeleton):
            results['body_center'] = np.zeros(3, dtype=np.float32)
            return results

        present = ~np.all(np.isclose(skeleton, 0), axis=(2, 3))  # (M, T)
        if M == 2 and present[1].sum() > present[0].sum():
            skeleton = skeleton[[1, 0]][:, present[1]]
        else:
            skeleton = skeleton[:, present[0]]
        if skeleton.shape[1] == 0:
            raise transform_error(self, results, f'person 0 of the {M} persons has no non-zero frame')

        center_joint = _NTU_CENTER if V == _NTU.num_node else V - 1
        body_center = skeleton[0, 0, center_joint].copy()
        if self.align_center:
            mask = np.any(skeleton != 0, axis=-1, keepdims=True)
            skeleton = (skeleton - body_center) * mask

        if self.align_spine:
            frame0 = skeleton[0, 0].astype(np.float64)
            rot_z = _align_matrix(frame0[self.zaxis[1]] - frame0[self.zaxis[0]], np.array([0.0, 0.0, 1.0]))
            shoulders = rot_z @ (frame0[self.xaxis[0]] - frame0[self.xaxis[1]])
            rot_x = _align_matrix(shoulders, np.array([1.0, 0.0, 0.0]))
            # x' = rot_x @ rot_z @ x for every joint
            skeleton = skeleton.astype(np.float64) @ (rot_x @ rot_z).T

        results['keypoint'] = skeleton.astype(np.float32)
        results['total_frames'] = skeleton.shape[1]
        results['body_center'] = body_center.astype(np.float32)
        return results

    def __repr__(self):
        return (
            f'{type(self).__name__}(zaxis={self.zaxis}, xaxis={self.xaxis}, '
            f'align_spine={self.align_spine}, align_center={self.align_center})'
        )


@TRANSFORMS.register_module()
class PreNormalize2D(BaseTransform):
    """Map 2D pixel coordinates to [-1, 1]: ``x <- (x - w/2) / (w/2)``, ``y <- (y - h/2) / (h/2)``.

    Required keys: ``keypoint`` ``(M, T, V, C)`` with C in {2, 3} (x, y[, score]),
    ``img_shape`` (h, w) (optional, else the argument).
    Modified keys: ``keypoint`` float32 ``(M, T, V, C)``.

    Args:
        img_shape (tuple[int, int]): (h, w) used when ``results`` has no ``img_shape``.
            Defaults to (1080, 1920).
        threshold (float): When the keypoint carries a score channel (C == 3), joints whose score
            is ``<= threshold`` get x = y = 0 (as PYSKL). Defaults to 0.01.
    """

    def __init__(self, img_shape=(1080, 1920), threshold=0.01):
        if as_img_shape(img_shape) is None:
            raise ValueError(f'PreNormalize2D: img_shape must be a positive (h, w), got {img_shape!r}')
        self.img_shape = tuple(img_shape)
        self.threshold = float(threshold)

    def transform(self, results):
        keypoint = get_keypoint(self, results, channels=(2, 3))
        h, w = get_img_shape(self, results, self.img_shape)
        out = keypoint.astype(np.float32)  # a new array
        out[..., 0] = (out[..., 0] - w / 2) / (w / 2)
        out[..., 1] = (out[..., 1] - h / 2) / (h / 2)
        if out.shape[-1] == 3:
            out[..., :2][out[..., 2] <= self.threshold] = 0
        results['keypoint'] = out
        return results

    def __repr__(self):
        return f'{type(self).__name__}(img_shape={self.img_shape}, threshold={self.threshold})'


@TRANSFORMS.register_module()
class RandomRot(BaseTransform):
    """Random rotation of the coordinates (training augmentation).

    3D (C == 3): angles ``a0, a1, a2 ~ U[-theta, theta]``, ``x' = Rz(a2) @ Ry(a1) @ Rx(a0) @ x``.
    2D (C == 2): one angle ``a ~ U[-theta, theta]``, ``x' = [[cos a, -sin a], [sin a, cos a]] @ x``.
    Run it before ``GenSkeFeat``: a third channel is always treated as a coordinate.
    An all-zero skeleton is returned unchanged. Randomness: ``results['rng']``.

    Required keys: ``keypoint`` ``(M, T, V, C)``, C in {2, 3}; ``rng``.
    Modified keys: ``keypoint`` float32 ``(M, T, V, C)``.

    Args:
        theta (float): Maximum absolute angle in radians. Defaults to 0.3.
    """

    def __init__(self, theta=0.3):
        if not isinstance(theta, Real) or theta < 0:
            raise ValueError(f'RandomRot: theta must be a non-negative number, got {theta!r}')
        self.theta = float(theta)

    @staticmethod
    def rot3d(angles):
        """``(3, 3)`` matrix ``Rz @ Ry @ Rx`` for ``angles = (a0, a1, a2)``."""
        cos, sin = np.cos(angles), np.sin(angles)
        rx = np.array([[1, 0, 0], [0, cos[0], sin[0]], [0, -sin[0], cos[0]]])
        ry = np.array([[cos[1], 0, -sin[1]], [0, 1, 0], [sin[1], 0, cos[1]]])
        rz = np.array([[cos[2], sin[2], 0], [-sin[2], cos[2], 0], [0, 0, 1]])
        return rz @ ry @ rx

    @staticmethod
    def rot2d(angle):
        """``(2, 2)`` counter-clockwise rotation matrix."""
        cos, sin = np.cos(angle), np.sin(angle)
        return np.array([[cos, -sin], [sin, cos]])

    def transform(self, results):
        skeleton = get_keypoint(self, results, channels=(2, 3))
        if np.all(np.isclose(skeleton, 0)):
            return results
        rng = get_rng(self, results)
        if skeleton.shape[-1] == 3:
            rot = self.rot3d(rng.uniform(-self.theta, self.theta, size=3))
        else:
            rot = self.rot2d(rng.uniform(-self.theta, self.theta))
        results['keypoint'] = (skeleton.astype(np.float64) @ rot.T).astype(np.float32)
        return results

    def __repr__(self):
        return f'{type(self).__name__}(theta={self.theta})'


@TRANSFORMS.register_module()
class RandomScale(BaseTransform):
    """Random per-channel scaling: ``x[..., c] *= 1 + U(-1, 1) * scale[c]`` (training augmentation).

    Required keys: ``keypoint`` ``(M, T, V, C)``; ``rng``.
    Modified keys: ``keypoint`` float32 ``(M, T, V, C)``.

    Args:
        scale (float | Sequence[float]): One value for every channel, or one per channel.
            Defaults to 0.2.
    """

    def __init__(self, scale=0.2):
        if isinstance(scale, Real):
            self.scale = float(scale)
        elif isinstance(scale, (tuple, list)) and all(isinstance(s, Real) for s in scale):
            self.scale = tuple(float(s) for s in scale)
        else:
            raise ValueError(f'RandomScale: scale must be a number or a sequence of numbers, got {scale!r}')

    def transform(self, results):
        skeleton = get_keypoint(self, results)
        C = skeleton.shape[-1]
        scale = (self.scale,) * C if isinstance(self.scale, float) else self.scale
        if len(scale) != C:
            raise transform_error(
                self, results, f'scale has {len(scale)} values but keypoint has {C} channels (shape {skeleton.shape})'
            )
        factor = 1 + get_rng(self, results).uniform(-1, 1, size=C) * np.array(scale)
        results['keypoint'] = (skeleton * factor).astype(np.float32)
        return results

    def __repr__(self):
        return f'{type(self).__name__}(scale={self.scale})'


def _motion(data, mean_score):
    """Temporal difference of ``(M, T, V, C)`` data: ``m[:, t] = x[:, t + 1] - x[:, t]``, last frame 0.
    With ``mean_score`` the last channel (a score) is instead the mean of the two frames' scores."""
    motion = np.zeros_like(data)
    motion[:, :-1] = data[:, 1:] - data[:, :-1]
    if mean_score:
        motion[:, :-1, :, -1] = (data[:, 1:, :, -1] + data[:, :-1, :, -1]) / 2
    return motion


@TRANSFORMS.register_module()
class GenSkeFeat(BaseTransform):
    """Generate the skeleton modality: joint (``'j'``), bone (``'b'``), joint motion (``'jm'``),
    bone motion (``'bm'``), and ProtoGCN's K-bone (``'k'``) and K-bone motion (``'km'``) features,
    concatenated in the requested order along ``axis``.

    If ``keypoint_score`` ``(M, T, V)`` is present it is first appended as a channel
    (``keypoint`` becomes ``(x, y, score)``) and removed. The data then has a score channel; so does
    ``C == 3`` data of a layout with ``scores`` (the 2D layouts ``'coco'``, ``'openpose'``, ...: already merged).

    - bone: ``b[..., v, :] = j[..., v, :] - j[..., parent(v), :]`` with the layout's bone parents
      (``get_layout(layout).bone_pairs``); with a score channel ``b[..., v, -1] = (s[v] + s[parent(v)]) / 2``;
    - K-bone (InfoGCN / ProtoGCN): ``k[..., v, :] = j[..., v, :] - j[..., g(v), :]`` with ``g(v)`` the
      grandparent of ``v`` along the bone parents (``get_layout(layout).grandparents``), ``g(v) = v``
      (so ``k[v] = 0``) when ``v``'s parent is the root; a score channel is differenced too;
    - motion (``jm``, ``bm``, ``km``): ``m[:, t] = x[:, t + 1] - x[:, t]`` for ``t < T - 1``, last frame 0;
      with a score channel the motion's score is the mean of the two frames' scores (last frame 0), except
      for layouts with ``score_motion='diff'`` (ProtoGCN's ``'coco_new'``), whose motion differences the score.

    Required keys: ``keypoint`` ``(M, T, V, C)``, ``keypoint_score`` ``(M, T, V)`` (optional).
    Modified keys: ``keypoint`` float32, ``(M, T, V, C' * len(feats))`` for ``axis=-1``
    (C' = C, or C + 1 after merging the score). Removed keys: ``keypoint_score``.

    Args:
        dataset (str | dict | None): Layout name (PYSKL's argument name); ``layout`` is preferred.
        feats (Sequence[str]): Features among ``'j', 'b', 'jm', 'bm', 'k', 'km'``, in output order.
            Defaults to ``('j', )``.
        axis (int): Concatenation axis. Defaults to -1.
        layout (str | dict | None): Layout name (``'nturgb+d'``, ``'coco'``, ``'openpose'``, ...) or a
            user-defined layout dict (see ``pyskl.core.layout.get_layout``). Defaults to
            ``dataset``, then ``'nturgb+d'``.
    """

    def __init__(self, dataset=None, feats=('j',), axis=-1, layout=None):

        if dataset is not None and layout is not None and dataset != layout:
            raise ValueError(f'GenSkeFeat: dataset={dataset!r} and layout={layout!r} disagree; give only layout')
        if layout is None:
            layout = 'nturgb+d' if dataset is None else dataset
        self.layout = layout
        self._layout = get_layout(layout)
        if isinstance(feats, str):
            feats = [feats]
        feats = tuple(feats)
        unknown = [f for f in feats if f not in FEATS]
        if not feats or unknown:
            raise ValueError(f'GenSkeFeat: feats must be a non-empty sequence of {FEATS}, got {feats!r}')
        self.feats = feats
        self.axis = int(axis)
        self._parents = np.array(self._layout.parents, dtype=np.int64)
        self._grandparents = np.array(self._layout.grandparents, dtype=np.int64)

    def transform(self, results):
        keypoint, merged = pop_merged_keypoint(self, results)
        M, T, V, C = keypoint.shape
        if V != self._layout.num_node:
            raise transform_error(
                self,
                results,
                f'keypoint has {V} joints but layout {self._layout.name!r} has '
                f'{self._layout.num_node} (shape {keypoint.shape})',
            )
        if merged and C != 3:
            raise transform_error(
                self, results, f'keypoint_score comes with 2D keypoints, but keypoint has {C - 1} channels'
            )
        has_score = merged or (C == 3 and self._layout.scores)
        joint = keypoint.astype(np.float32)  # a new array when merged or cast
        feats = dict(j=joint)
        if 'b' in self.feats or 'bm' in self.feats:
            bone = joint - joint[:, :, self._parents]
            if has_score:
                bone[..., -1] = (joint[..., -1] + joint[:, :, self._parents, -1]) / 2
            feats['b'] = bone
        if 'k' in self.feats or 'km' in self.feats:
            feats['k'] = joint - joint[:, :, self._grandparents]  # a score channel is differenced too
        mean_score = has_score and self._layout.score_motion == 'mean'
        for f in ('jm', 'bm', 'km'):
            if f in self.feats:
                feats[f] = _motion(feats[f[0]], mean_score)
        # concatenate always copies, so the output never aliases the input
        results['keypoint'] = np.concatenate([feats[f] for f in self.feats], axis=self.axis)
        return results

    def __repr__(self):
        return f'{type(self).__name__}(layout={self.layout!r}, feats={list(self.feats)}, axis={self.axis})'

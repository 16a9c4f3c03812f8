"""ProtoGCN's skeleton transforms (github.com/firework8/ProtoGCN), registered under the original's names so
its configs' pipelines read the same: ``Spatial_Flip`` and ``Part_Drop`` (3D training augmentations),
``Flip`` (PYSKL's horizontal image flip of 2D keypoints) and ``Kinetics_Transform`` (COCO-17 to the
20-joint ``'coco_new'`` layout).

Like the other transforms, they read ``results['keypoint']`` ``(M, T, V, C)``, never modify it in place,
write a new float32 array back, and draw randomness only from ``results['rng']``.
"""

from numbers import Real

import numpy as np
from mmcv.transforms import BaseTransform

from pyskl.core.layout import get_layout, joint_index
from pyskl.registry import TRANSFORMS
from ._utils import get_img_shape, get_keypoint, get_rng, pop_merged_keypoint, transform_error

# NTU RGB+D body parts that Part_Drop zeroes, named on the layout, in ProtoGCN's order: left arm + left hand,
# left leg, right arm + right hand, right leg = (4, 5, 6, 7, 21, 22), (12, 13, 14, 15), (8, 9, 10, 11, 23, 24),
# (16, 17, 18, 19)
_ARM = ('shoulder', 'elbow', 'wrist', 'hand', 'hand_tip', 'thumb')
_LEG = ('hip', 'knee', 'ankle', 'foot')
NTU_PARTS = tuple(
    joint_index('nturgb+d', *(f'{side}_{j}' for j in part))
    for side, part in (('left', _ARM), ('left', _LEG), ('right', _ARM), ('right', _LEG))
)


def _probability(name, p):
    if not isinstance(p, Real) or isinstance(p, bool) or not 0 <= p <= 1:
        raise ValueError(f'{name}: p must be a number in [0, 1], got {p!r}')
    return float(p)


def _layout_arg(name, dataset, layout):
    if dataset is not None and layout is not None and dataset != layout:
        raise ValueError(f'{name}: dataset={dataset!r} and layout={layout!r} disagree; give only layout')
    return 'nturgb+d' if dataset is None and layout is None else (layout if layout is not None else dataset)


@TRANSFORMS.register_module(name='Spatial_Flip')
class SpatialFlip(BaseTransform):
    """With probability ``p``, swap every (left, right) joint pair of the layout (training augmentation):
    ``new[..., v, :] = old[..., flip_index[v], :]`` with ``flip_index`` from the layout's ``flip_pairs``.
    Coordinates are not mirrored (ProtoGCN's ``Spatial_Flip``). Randomness: one ``rng.random()`` draw.

    Required keys: ``keypoint`` ``(M, T, V, C)``; ``rng``.
    Modified keys: ``keypoint`` float32 ``(M, T, V, C)``.

    Args:
        dataset (str | dict | None): Layout name (the original's argument name); ``layout`` is preferred.
        p (float): Probability of the flip. Defaults to 0.5.
        layout (str | dict | None): Layout (see ``pyskl.core.layout.get_layout``); it must have
            ``flip_pairs``. Defaults to ``dataset``, then ``'nturgb+d'``.
    """

    def __init__(self, dataset=None, p=0.5, layout=None):
        self.layout = _layout_arg('Spatial_Flip', dataset, layout)
        self._layout = get_layout(self.layout)
        if not self._layout.flip_pairs:
            raise ValueError(f'Spatial_Flip: layout {self._layout.name!r} has no flip_pairs')
        self.p = _probability('Spatial_Flip', p)
        self._index = self._layout.flip_index

    def transform(self, results):
        keypoint = get_keypoint(self, results)
        if keypoint.shape[2] != self._layout.num_node:
            raise transform_error(
                self,
                results,
                f'keypoint has {keypoint.shape[2]} joints but layout {self._layout.name!r} has {self._layout.num_node}',
            )
        if get_rng(self, results).random() < self.p:
            results['keypoint'] = keypoint[:, :, self._index].astype(np.float32)
        return results

    def __repr__(self):
        return f'Spatial_Flip(layout={self.layout!r}, p={self.p})'


@TRANSFORMS.register_module(name='Part_Drop')
class PartDrop(BaseTransform):
    """With probability ``p``, set every channel of one body part's joints to 0 in every frame and for
    every person (training augmentation; ProtoGCN's ``Part_Drop``). The part is drawn uniformly from
    ``parts``. Randomness: ``rng.random()``, then ``rng.integers(len(parts))`` when it drops.

    Required keys: ``keypoint`` ``(M, T, V, C)``; ``rng``.
    Modified keys: ``keypoint`` float32 ``(M, T, V, C)``.

    Args:
        p (float): Probability of dropping a part. Defaults to 0.2.
        parts (Sequence[Sequence[int]]): Joint indices of each part. Defaults to the four NTU RGB+D limbs
            ``NTU_PARTS`` (left arm and hand, left leg, right arm and hand, right leg).
    """

    def __init__(self, p=0.2, parts=NTU_PARTS):
        self.p = _probability('Part_Drop', p)
        parts = tuple(tuple(int(v) for v in part) for part in parts)
        if not parts or not all(parts) or min(min(part) for part in parts) < 0:
            raise ValueError(f'Part_Drop: parts must be non-empty lists of joint indices, got {parts!r}')
        self.parts = parts

    def transform(self, results):
        keypoint = get_keypoint(self, results)
        highest = max(max(part) for part in self.parts)
        if highest >= keypoint.shape[2]:
            raise transform_error(
                self,
                results,
                f'parts name joint {highest} but keypoint has {keypoint.shape[2]} joints (shape {keypoint.shape})',
            )
        rng = get_rng(self, results)
        if rng.random() < self.p:
            out = keypoint.astype(np.float32)  # a new array
            out[:, :, list(self.parts[int(rng.integers(len(self.parts)))])] = 0
            results['keypoint'] = out
        return results

    def __repr__(self):
        return f'Part_Drop(p={self.p}, parts={[list(p) for p in self.parts]})'


@TRANSFORMS.register_module()
class Flip(BaseTransform):
    """Horizontal flip of a skeleton, PYSKL's ``Flip`` for keypoints (training augmentation): with probability
    ``flip_ratio`` the left / right joints swap places (their ``keypoint_score`` too) and x is mirrored.
    Randomness: one ``rng.random()`` draw.

    - ``mirror='image'`` (2D keypoints in pixels, as PYSKL): ``x <- w - x`` with ``w = img_shape[1]``, for
      every ``x != 0`` (a missing joint stays at 0, as in PYSKL);
    - ``mirror='origin'`` (3D coordinates, e.g. NTU's Kinect camera space with x horizontal, or 2D already
      centred by ``PreNormalize2D``): ``x <- -x``.

    The pairs are the layout's ``flip_pairs`` unless ``left_kp`` / ``right_kp`` (PYSKL's arguments) list them.
    Flipping twice restores the input. A ``C == 3`` layout with ``scores`` keeps its score channel with its
    joint. Place it before ``Kinetics_Transform`` / ``GenSkeFeat`` (it flips the stored joints).

    Required keys: ``keypoint`` ``(M, T, V, C)`` (x first), ``img_shape`` (h, w) for ``mirror='image'``,
    ``keypoint_score`` ``(M, T, V)`` (optional); ``rng``.
    Modified keys: ``keypoint`` float32, ``keypoint_score``. Added keys: ``flip`` (bool).

    Args:
        flip_ratio (float): Probability of the flip. Defaults to 0.5.
        left_kp (Sequence[int] | None): Left joints (PYSKL's argument); with ``right_kp``, replaces the
            layout's pairs (any V then). Defaults to None: the layout's ``flip_pairs``.
        right_kp (Sequence[int] | None): The matching right joints.
        dataset (str | dict | None): Layout name (PYSKL's argument name of the other transforms); ``layout``
            is preferred.
        layout (str | dict | None): Layout of the keypoints (``'coco'``, ``'nturgb+d'``, ... or a layout
            dict, see ``pyskl.core.layout.get_layout``): the pairs, and the default ``mirror``. Defaults to
            ``dataset``, then ``'coco'``. It is not filled from the config's top-level ``layout`` (the flip
            sees the stored joints, e.g. ``'coco'`` for a ``'coco_new'`` experiment).
        mirror (str | None): ``'image'`` or ``'origin'`` (above). Defaults to ``'image'`` for layouts
            with ``scores`` (2D detections in pixels) and ``'origin'`` for the others (3D).
    """

    def __init__(self, flip_ratio=0.5, left_kp=None, right_kp=None, dataset=None, layout=None, mirror=None):
        self.flip_ratio = _probability('Flip', flip_ratio)
        if dataset is not None and layout is not None and dataset != layout:
            raise ValueError(f'Flip: dataset={dataset!r} and layout={layout!r} disagree; give only layout')
        self.layout = layout if layout is not None else (dataset if dataset is not None else 'coco')
        self._layout = get_layout(self.layout)
        if (left_kp is None) != (right_kp is None):
            raise ValueError("Flip: give both left_kp and right_kp, or neither (the layout's flip_pairs)")
        if left_kp is None:
            if not self._layout.flip_pairs:
                raise ValueError(f'Flip: layout {self._layout.name!r} has no flip_pairs; give left_kp / right_kp')
            left_kp, right_kp = zip(*self._layout.flip_pairs)
            self._num_joints = self._layout.num_node
        else:
            self._num_joints = None  # explicit pairs: any V with those joints
        self.left_kp = tuple(int(v) for v in left_kp)
        self.right_kp = tuple(int(v) for v in right_kp)
        if len(self.left_kp) != len(self.right_kp):
            raise ValueError(f'Flip: left_kp and right_kp differ in length: {self.left_kp} / {self.right_kp}')
        if (
            len(set(self.left_kp + self.right_kp)) != 2 * len(self.left_kp)
            or min(self.left_kp + self.right_kp, default=0) < 0
        ):
            raise ValueError(
                f'Flip: left_kp / right_kp must be distinct joint indices, got {self.left_kp} / {self.right_kp}'
            )
        if mirror is None:
            mirror = 'image' if self._layout.scores else 'origin'
        if mirror not in ('image', 'origin'):
            raise ValueError(f"Flip: mirror must be 'image', 'origin' or None, got {mirror!r}")
        self.mirror = mirror

    def _index(self, V):
        index = np.arange(V)
        index[list(self.left_kp)], index[list(self.right_kp)] = self.right_kp, self.left_kp
        return index

    def transform(self, results):
        keypoint = get_keypoint(self, results)
        V = keypoint.shape[2]
        if self._num_joints is not None and V != self._num_joints:
            raise transform_error(
                self,
                results,
                f'keypoint has {V} joints but layout {self._layout.name!r} has '
                f'{self._num_joints} (shape {keypoint.shape})',
            )
        if max(self.left_kp + self.right_kp, default=-1) >= V:
            raise transform_error(self, results, f'left_kp / right_kp name joints outside the {V} joints')
        flip = bool(get_rng(self, results).random() < self.flip_ratio)
        results['flip'] = flip
        if not flip:
            return results
        if self.mirror == 'image':
            img_shape = get_img_shape(self, results)  # mirror='image' needs the image width
        index = self._index(V)
        out = keypoint[:, :, index].astype(np.float32)  # a new array
        x = out[..., 0]
        if self.mirror == 'image':
            seen = x != 0
            x[seen] = img_shape[1] - x[seen]
        else:
            out[..., 0] = 0.0 - x  # no -0.0 for missing joints
        results['keypoint'] = out
        if 'keypoint_score' in results:
            results['keypoint_score'] = np.asarray(results['keypoint_score'])[:, :, index]
        return results

    def __repr__(self):
        return (
            f'Flip(flip_ratio={self.flip_ratio}, layout={self.layout!r}, mirror={self.mirror!r}, '
            f'left_kp={list(self.left_kp)}, right_kp={list(self.right_kp)})'
        )


# Kinetics_Transform's joints, named on the COCO layout (coco_new appends mid_hip, mid_spine, mid_shoulder)
_COCO = get_layout('coco')
_COCO_HIPS = joint_index(_COCO, 'left_hip', 'right_hip')  # (11, 12)
_COCO_SHOULDERS = joint_index(_COCO, 'left_shoulder', 'right_shoulder')  # (5, 6)


@TRANSFORMS.register_module(name='Kinetics_Transform')
class KineticsTransform(BaseTransform):
    """COCO-17 ``(x, y, score)`` to ProtoGCN's 20-joint ``'coco_new'`` layout: joint 17 (``mid_hip``) = mean
    of the hips (11, 12), 19 (``mid_shoulder``) = mean of the shoulders (5, 6), 18 (``mid_spine``) = mean of
    17 and 19; every channel, the score included, is averaged. ``keypoint_score``, when present, is first
    merged as the third channel.

    Required keys: ``keypoint`` ``(M, T, 17, 2)`` with ``keypoint_score`` ``(M, T, 17)``, or
    ``(M, T, 17, 3)`` already merged.
    Modified keys: ``keypoint`` float32 ``(M, T, 20, 3)``. Removed keys: ``keypoint_score``.
    """

    def transform(self, results):
        keypoint, merged = pop_merged_keypoint(self, results)
        M, T, V, C = keypoint.shape
        if V != _COCO.num_node or C != 3:
            raise transform_error(
                self,
                results,
                f'expects COCO-{_COCO.num_node} (x, y, score) keypoints, got shape '
                f'{keypoint.shape}' + ('' if merged else ' and no keypoint_score'),
            )
        kp = keypoint.astype(np.float32)
        hip = (kp[:, :, _COCO_HIPS[0]] + kp[:, :, _COCO_HIPS[1]]) / 2
        shoulder = (kp[:, :, _COCO_SHOULDERS[0]] + kp[:, :, _COCO_SHOULDERS[1]]) / 2
        results['keypoint'] = np.concatenate([kp, np.stack([hip, (hip + shoulder) / 2, shoulder], 2)], axis=2)
        return results

    def __repr__(self):
        return 'Kinetics_Transform()'

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

from pyskl.registry import TRANSFORMS
from ._utils import get_keypoint, get_rng, pop_merged_keypoint, transform_error

# NTU RGB+D body parts that Part_Drop zeroes (0-based): left arm + left hand, right leg, right arm + right
# hand, left leg (ProtoGCN's order).
NTU_PARTS = ((4, 5, 6, 7, 21, 22), (12, 13, 14, 15), (8, 9, 10, 11, 23, 24), (16, 17, 18, 19))


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
        from pyskl.core.layout import get_layout

        self.layout = _layout_arg('Spatial_Flip', dataset, layout)
        self._layout = get_layout(self.layout)
        if not self._layout.flip_pairs:
            raise ValueError(f'Spatial_Flip: layout {self._layout.name!r} has no flip_pairs')
        self.p = _probability('Spatial_Flip', p)
        self._index = self._layout.flip_index

    def transform(self, results):
        keypoint = get_keypoint(self, results)
        if keypoint.shape[2] != self._layout.num_node:
            raise transform_error(self, results, f'keypoint has {keypoint.shape[2]} joints but layout '
                                                 f'{self._layout.name!r} has {self._layout.num_node}')
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
            ``NTU_PARTS`` (left arm and hand, right leg, right arm and hand, left leg).
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
            raise transform_error(self, results, f'parts name joint {highest} but keypoint has '
                                                 f'{keypoint.shape[2]} joints (shape {keypoint.shape})')
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
    """Horizontal image flip of 2D keypoints in pixels, as PYSKL's ``Flip`` (training augmentation): with
    probability ``flip_ratio``, ``x <- w - x`` (``w`` from ``img_shape``) and the ``left_kp[i]`` /
    ``right_kp[i]`` joints swap places (their scores too). Randomness: one ``rng.random()`` draw.

    Required keys: ``keypoint`` ``(M, T, V, C)`` (x first), ``img_shape`` (h, w), ``keypoint_score``
    ``(M, T, V)`` (optional); ``rng``.
    Modified keys: ``keypoint`` float32, ``keypoint_score``. Added keys: ``flip`` (bool).

    Args:
        flip_ratio (float): Probability of the flip. Defaults to 0.5.
        left_kp (Sequence[int]): Left joints. Defaults to COCO's (1, 3, ..., 15).
        right_kp (Sequence[int]): The matching right joints. Defaults to COCO's (2, 4, ..., 16).
    """

    def __init__(self, flip_ratio=0.5, left_kp=tuple(range(1, 17, 2)), right_kp=tuple(range(2, 17, 2))):
        self.flip_ratio = _probability('Flip', flip_ratio)
        self.left_kp = tuple(int(v) for v in left_kp)
        self.right_kp = tuple(int(v) for v in right_kp)
        if len(self.left_kp) != len(self.right_kp):
            raise ValueError(f'Flip: left_kp and right_kp differ in length: {self.left_kp} / {self.right_kp}')

    def transform(self, results):
        keypoint = get_keypoint(self, results)
        flip = bool(get_rng(self, results).random() < self.flip_ratio)
        results['flip'] = flip
        if not flip:
            return results
        img_shape = results.get('img_shape')
        if img_shape is None or len(img_shape) != 2 or min(img_shape) <= 0:
            raise transform_error(self, results, f"Flip needs field 'img_shape' = positive (h, w), got {img_shape!r}")
        V = keypoint.shape[2]
        if max(self.left_kp + self.right_kp, default=-1) >= V:
            raise transform_error(self, results, f'left_kp / right_kp name joints outside the {V} joints')
        index = np.arange(V)
        index[list(self.left_kp)], index[list(self.right_kp)] = self.right_kp, self.left_kp
        out = keypoint[:, :, index].astype(np.float32)
        out[..., 0] = img_shape[1] - out[..., 0]
        results['keypoint'] = out
        if 'keypoint_score' in results:
            results['keypoint_score'] = np.asarray(results['keypoint_score'])[:, :, index]
        return results

    def __repr__(self):
        return f'Flip(flip_ratio={self.flip_ratio}, left_kp={list(self.left_kp)}, right_kp={list(self.right_kp)})'


@TRANSFORMS.register_module(name='Kinetics_Transform')
class KineticsTransform(BaseTransform):
    """COCO-17 ``(x, y, score)`` to ProtoGCN's 20-joint ``'coco_new'`` layout: joint 17 = mean of the hips
    (11, 12), 19 = mean of the shoulders (5, 6), 18 = mean of 17 and 19; every channel, the score included,
    is averaged. ``keypoint_score``, when present, is first merged as the third channel.

    Required keys: ``keypoint`` ``(M, T, 17, 2)`` with ``keypoint_score`` ``(M, T, 17)``, or
    ``(M, T, 17, 3)`` already merged.
    Modified keys: ``keypoint`` float32 ``(M, T, 20, 3)``. Removed keys: ``keypoint_score``.
    """

    def transform(self, results):
        keypoint, merged = pop_merged_keypoint(self, results)
        M, T, V, C = keypoint.shape
        if V != 17 or C != 3:
            raise transform_error(self, results, f'expects COCO-17 (x, y, score) keypoints, got shape '
                                                 f'{keypoint.shape}' + ('' if merged else ' and no keypoint_score'))
        kp = keypoint.astype(np.float32)
        hip = (kp[:, :, 11] + kp[:, :, 12]) / 2
        shoulder = (kp[:, :, 5] + kp[:, :, 6]) / 2
        results['keypoint'] = np.concatenate([kp, np.stack([hip, (hip + shoulder) / 2, shoulder], 2)], axis=2)
        return results

    def __repr__(self):
        return 'Kinetics_Transform()'

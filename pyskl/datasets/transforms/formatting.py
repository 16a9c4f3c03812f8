"""Final shaping of skeleton samples: person padding, clip axis, temporal padding, packing."""

import numpy as np
from mmcv.transforms import BaseTransform

from pyskl.registry import TRANSFORMS
from ._utils import get_array, get_keypoint, pop_merged_keypoint, transform_error


@TRANSFORMS.register_module()
class FormatGCNInput(BaseTransform):
    """Shape the keypoints for a GCN: ``(M, num_clips * T, V, C)`` -> ``(num_clips, num_person, T, V, C)``.

    ``keypoint_score`` (if still present) is merged as the last channel. Persons are padded with
    zeros up to ``num_person`` (``mode='loop'``: a single person is repeated instead) or truncated.

    Required keys: ``keypoint`` ``(M, num_clips * T, V, C)``, ``keypoint_score`` (optional),
    ``num_clips`` (default 1).
    Modified keys: ``keypoint`` contiguous float32 ``(num_clips, num_person, T, V, C')``.
    Removed keys: ``keypoint_score``.

    Args:
        num_person (int): Persons in the output. Defaults to 2.
        mode (str): ``'zero'`` or ``'loop'`` person padding. Defaults to ``'zero'``.
    """

    def __init__(self, num_person=2, mode='zero'):
        if int(num_person) != num_person or not 1 <= num_person <= 1000:  # 10**8 persons asked for 8 TiB per clip
            raise ValueError(f'FormatGCNInput: num_person must be an integer in 1..1000, got {num_person!r}')
        if mode not in ('zero', 'loop'):
            raise ValueError(f"FormatGCNInput: mode must be 'zero' or 'loop', got {mode!r}")
        self.num_person = int(num_person)
        self.mode = mode

    def transform(self, results):
        keypoint, _ = pop_merged_keypoint(self, results)
        M, T, V, C = keypoint.shape
        if M < self.num_person:
            if self.mode == 'loop' and M == 1:
                pad = np.repeat(keypoint, self.num_person - 1, axis=0)
            else:
                pad = np.zeros((self.num_person - M, T, V, C), dtype=keypoint.dtype)
            keypoint = np.concatenate([keypoint, pad], axis=0)
        elif M > self.num_person:
            keypoint = keypoint[: self.num_person]
        nc = results.get('num_clips', 1)
        if int(nc) != nc or nc < 1 or T % nc:
            raise transform_error(self, results, f'keypoint has {T} frames, not divisible into num_clips={nc!r} clips')
        nc = int(nc)
        keypoint = keypoint.reshape(self.num_person, nc, T // nc, V, C).transpose(1, 0, 2, 3, 4)
        # always a new array: the output never aliases the (possibly cached) input
        results['keypoint'] = np.array(keypoint, dtype=np.float32, order='C')
        return results

    def __repr__(self):
        return f'{type(self).__name__}(num_person={self.num_person}, mode={self.mode!r})'


@TRANSFORMS.register_module()
class PadTo(BaseTransform):
    """Pad the time axis of ``keypoint`` (and ``keypoint_score``) to ``length`` frames.

    ``mode='loop'`` repeats the sequence (frame ``t`` is frame ``t % T``); ``mode='zero'`` appends
    zero frames.

    Required keys: ``keypoint`` ``(M, T, V, C)`` with ``T <= length``, ``keypoint_score``
    ``(M, T, V)`` (optional), ``total_frames`` (default T).
    Modified keys: ``keypoint`` ``(M, length, V, C)``, ``keypoint_score`` ``(M, length, V)``,
    ``total_frames`` (``length``).

    Args:
        length (int): Frames after padding.
        mode (str): ``'loop'`` or ``'zero'``. Defaults to ``'loop'``.
    """

    def __init__(self, length, mode='loop'):
        if int(length) != length or length < 1:
            raise ValueError(f'PadTo: length must be a positive integer, got {length!r}')
        if mode not in ('loop', 'zero'):
            raise ValueError(f"PadTo: mode must be 'loop' or 'zero', got {mode!r}")
        self.length = int(length)
        self.mode = mode

    def _pad(self, array):
        T = array.shape[1]
        if self.mode == 'loop':
            return array[:, np.arange(self.length) % T]
        pad = np.zeros((array.shape[0], self.length - T) + array.shape[2:], dtype=array.dtype)
        return np.concatenate([array, pad], axis=1)

    def transform(self, results):
        keypoint = get_keypoint(self, results)
        T = keypoint.shape[1]
        total_frames = results.get('total_frames', T)
        if total_frames != T:
            raise transform_error(self, results, f'total_frames={total_frames} but keypoint has {T} frames')
        if not 0 < T <= self.length:
            raise transform_error(self, results, f'keypoint has {T} frames; PadTo needs 1 to {self.length}')
        if 'keypoint_score' in results:
            score = get_array(self, results, 'keypoint_score', ndim=3)
            if score.shape != keypoint.shape[:3]:
                raise transform_error(
                    self, results, f"field 'keypoint_score' has shape {score.shape}, expected {keypoint.shape[:3]}"
                )
            results['keypoint_score'] = self._pad(score)
        results['keypoint'] = self._pad(keypoint)
        results['total_frames'] = self.length
        return results

    def __repr__(self):
        return f'{type(self).__name__}(length={self.length}, mode={self.mode!r})'


@TRANSFORMS.register_module()
class PackSkeletonInputs(BaseTransform):
    """Pack a sample for the model: ``dict(inputs, data_samples)``.

    ``inputs`` is a float32 tensor ``(num_clips, M, T, V, C)`` (a 4-D ``(M, T, V, C)`` keypoint gets
    a clip axis of 1); ``data_samples`` is ``dict(gt_label=int, sample_idx=int, frame_dir=str)``
    plus the fields named in ``keys``. A missing ``label`` / ``sample_idx`` (e.g. at inference)
    is packed as -1, a missing ``frame_dir`` as ``''``.

    Args:
        keys (Sequence[str] | None): Extra fields of ``results`` copied into ``data_samples``
            (e.g. ``['body_center']``). Defaults to None.
    """

    def __init__(self, keys=None):
        if isinstance(keys, str):
            keys = [keys]
        self.keys = tuple(keys) if keys is not None else ()

    def transform(self, results):
        import torch

        keypoint = get_array(self, results, 'keypoint')
        if keypoint.ndim == 4:
            keypoint = keypoint[None]
        elif keypoint.ndim != 5:
            raise transform_error(
                self,
                results,
                f"field 'keypoint' must be (num_clips, M, T, V, C) or (M, T, V, C), got shape {keypoint.shape}",
            )
        label = results.get('label', -1)
        if np.ndim(label) != 0:
            raise transform_error(self, results, f"field 'label' must be a single class index, got {label!r}")
        data_sample = dict(
            gt_label=int(label),
            sample_idx=int(results.get('sample_idx', -1)),
            frame_dir=str(results.get('frame_dir', '')),
        )
        for key in self.keys:
            if key not in results:
                raise transform_error(self, results, f'missing field {key!r} requested by keys={list(self.keys)}')
            data_sample[key] = results[key]
        inputs = torch.from_numpy(np.array(keypoint, dtype=np.float32, order='C'))
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self):
        return f'{type(self).__name__}(keys={list(self.keys) if self.keys else None})'

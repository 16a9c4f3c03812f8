"""Temporal sampling of skeleton sequences (PYSKL's uniform sampling) and pose decoding.

Training draws come only from ``results['rng']`` (a ``numpy.random.Generator``). Test mode
(``results['test_mode']``) uses a local ``np.random.RandomState(seed)`` created per call, whose
draws equal those of the anchors' ``np.random.seed(seed)`` + ``np.random.*`` calls, so test-time
indices are identical to PYSKL's; numpy's global RNG is never touched.
"""

from numbers import Real

import numpy as np
from mmcv.transforms import BaseTransform

from pyskl.registry import TRANSFORMS
from ._utils import get_array, get_keypoint, get_rng, pop_merged_keypoint, transform_error, warn_test_mode


class _Draws:
    """The three kinds of draws of uniform sampling, from a ``RandomState`` or a ``Generator``."""

    def __init__(self, source):
        if isinstance(source, np.random.RandomState):
            self.rand, self.randint = source.rand, source.randint
        else:
            self.rand, self.randint = source.random, source.integers
        self.choice = source.choice


def _p_interval(value, name):
    if isinstance(value, Real):
        value = (value, value)
    value = tuple(float(v) for v in value)
    if len(value) != 2 or not 0 < value[0] <= value[1] <= 1:
        raise ValueError(f'{name}: p_interval must be a float or (low, high) with 0 < low <= high <= 1, got {value!r}')
    return value


def _uniform_clip(draws, total, clip_len, p_interval, short_start=None):
    """Draw the frame indices of one clip, in the anchors' order of draws.

    A random fraction ``ratio ~ U[p0, p1)`` of the ``total`` frames forms a window of ``n`` frames
    starting at ``off``; then
    - ``n < clip_len``: ``clip_len`` consecutive indices from ``start`` (``short_start``, or a random
      start in ``[0, n)`` when it is None); they may exceed ``n - 1``: callers wrap them;
    - ``clip_len <= n < 2 * clip_len``: ``arange(clip_len)`` shifted by ``n - clip_len`` random unit
      steps (no repeats);
    - ``n >= 2 * clip_len``: one random index in each of ``clip_len`` equal segments.

    Returns:
        tuple[np.ndarray, int, int]: ``(inds, n, off)``; ``inds`` (clip_len,) int64 are relative to
        the window (``inds + off`` indexes the sequence, except for the wrapped short branch).
    """
    p0, p1 = p_interval
    ratio = draws.rand() * (p1 - p0) + p0
    n = max(int(ratio * total), 1)
    off = draws.randint(total - n + 1)
    if n < clip_len:
        start = draws.randint(0, n) if short_start is None else short_start(n)
        inds = np.arange(start, start + clip_len)
    elif n < 2 * clip_len:
        steps = draws.choice(clip_len + 1, n - clip_len, replace=False)
        offset = np.zeros(clip_len + 1, dtype=np.int64)
        offset[steps] = 1
        inds = np.arange(clip_len) + np.cumsum(offset)[:-1]
    else:
        bids = np.arange(clip_len + 1) * n // clip_len
        inds = bids[:clip_len] + draws.randint(np.diff(bids))
    return inds.astype(np.int64), n, int(off)


class _UniformSampling(BaseTransform):
    """What ``UniformSampleFrames`` and ``UniformSampleDecode`` share: arguments, the source of the draws
    (``results['rng']`` in training, a local ``RandomState(seed)`` in test mode) and the clip fields."""

    def __init__(self, clip_len, num_clips=1, p_interval=1, seed=255, test_mode=None):
        name = type(self).__name__
        warn_test_mode(name, test_mode)
        if int(clip_len) != clip_len or clip_len < 1 or int(num_clips) != num_clips or num_clips < 1:
            raise ValueError(
                f'{name}: clip_len and num_clips must be positive integers, got {clip_len!r}, {num_clips!r}'
            )
        if clip_len > 100_000 or num_clips > 1000:  # every clip is (M, clip_len, V, C): 10**5 x 10**4 is no sample
            raise ValueError(
                f'{name}: clip_len must be at most 100000 and num_clips at most 1000, got {clip_len!r}, {num_clips!r}'
            )
        self.clip_len = int(clip_len)
        self.num_clips = int(num_clips)
        self.p_interval = _p_interval(p_interval, name)
        self.seed = int(seed)

    def _draws(self, results, test_mode):
        return _Draws(np.random.RandomState(self.seed) if test_mode else get_rng(self, results))

    def _set_clip_fields(self, results):
        results['clip_len'] = self.clip_len
        results['num_clips'] = self.num_clips
        results['frame_interval'] = None
        return results

    def __repr__(self):
        return (
            f'{type(self).__name__}(clip_len={self.clip_len}, num_clips={self.num_clips}, '
            f'p_interval={self.p_interval}, seed={self.seed})'
        )


@TRANSFORMS.register_module(name=['UniformSampleFrames', 'UniformSample'])
class UniformSampleFrames(_UniformSampling):
    """Uniformly sample ``num_clips`` clips of ``clip_len`` frame indices (PYSKL's ``UniformSample``).

    Per clip, a window of ``int(ratio * T)`` frames (``ratio ~ U[p_interval)``) at a random offset is
    split into ``clip_len`` segments and one frame is drawn from each (see ``_uniform_clip``);
    short windows are looped. Training draws from ``results['rng']``; in test mode a local
    ``RandomState(seed)`` reproduces the anchors' indices exactly, and a short window starts
    deterministically at ``i * n // num_clips`` (``i`` if ``n < num_clips``) for clip ``i``.
    Indices are wrapped modulo T and shifted by ``start_index``.

    Required keys: ``total_frames``, ``start_index`` (default 0), ``test_mode`` (default False),
    ``rng`` (training), ``keypoint`` (optional, checked against ``total_frames``).
    Added keys: ``frame_inds`` ``(num_clips * clip_len,)`` int64 (float32 if ``float_ok``),
    ``clip_len``, ``num_clips``, ``frame_interval`` (None).

    Args:
        clip_len (int): Frames per clip.
        num_clips (int): Clips to sample. Defaults to 1.
        p_interval (float | tuple[float, float]): Range of the window ratio. Defaults to 1.
        seed (int): Seed of the test-mode ``RandomState``. Defaults to 255.
        float_ok (bool): Return the indices as float32 (PYSKL's option for fractional sampling; the
            indices drawn here are integral, so only the dtype changes). Defaults to False.
        test_mode: Deprecated and ignored (test mode comes from ``results['test_mode']``).
    """

    def __init__(self, clip_len, num_clips=1, p_interval=1, seed=255, float_ok=False, test_mode=None):
        super().__init__(clip_len, num_clips, p_interval, seed, test_mode)
        self.float_ok = bool(float_ok)

    def _test_short_start(self, i):
        """Test mode: a window shorter than clip_len starts at ``i * n // num_clips`` (``i`` if n < num_clips)."""
        return lambda n: i if n < self.num_clips else i * n // self.num_clips

    def _sample(self, total, test_mode, results):
        draws = self._draws(results, test_mode)
        clips = []
        for i in range(self.num_clips):
            short_start = self._test_short_start(i) if test_mode else None
            inds, _, off = _uniform_clip(draws, total, self.clip_len, self.p_interval, short_start)
            clips.append(inds + off)
        return np.concatenate(clips)

    def transform(self, results):
        if 'total_frames' not in results:
            raise transform_error(self, results, "missing field 'total_frames'")
        total = results['total_frames']
        if int(total) != total or total < 1:
            raise transform_error(self, results, f"field 'total_frames' must be a positive integer, got {total!r}")
        total = int(total)
        if 'keypoint' in results:
            keypoint = get_keypoint(self, results)
            if keypoint.shape[1] != total:
                raise transform_error(
                    self,
                    results,
                    f'total_frames={total} but keypoint has {keypoint.shape[1]} frames (shape {keypoint.shape})',
                )
        inds = self._sample(total, bool(results.get('test_mode', False)), results)
        inds = np.mod(inds, total)
        if self.float_ok:
            inds = inds.astype(np.float32)
        inds = inds + results.get('start_index', 0)
        results['frame_inds'] = inds
        return self._set_clip_fields(results)

    def __repr__(self):
        return super().__repr__()[:-1] + f', float_ok={self.float_ok})'


@TRANSFORMS.register_module()
class UniformSampleDecode(_UniformSampling):
    """Uniform sampling that gathers the frames directly (DG-STGCN's pipeline).

    Same draws as ``UniformSampleFrames`` (training: ``results['rng']``; test mode: a local
    ``RandomState(seed)``), but a short window (``n < clip_len``) is looped within the window:
    ``(arange(start, start + clip_len) % n) + off`` with a random ``start`` in both modes.
    ``keypoint_score`` (if present) is merged as the last channel first.

    Required keys: ``keypoint`` ``(M, T, V, C)``, ``keypoint_score`` ``(M, T, V)`` (optional),
    ``test_mode`` (default False), ``rng`` (training).
    Modified keys: ``keypoint`` float32 ``(M, num_clips * clip_len, V, C')`` (C' = C or C + 1).
    Added keys: ``clip_len``, ``num_clips``, ``frame_interval`` (None). Removed: ``keypoint_score``.

    Args:
        clip_len (int): Frames per clip.
        num_clips (int): Clips to sample. Defaults to 1.
        p_interval (float | tuple[float, float]): Range of the window ratio. Defaults to 1.
        seed (int): Seed of the test-mode ``RandomState``. Defaults to 255.
        test_mode: Deprecated and ignored.
    """

    def transform(self, results):
        keypoint = get_keypoint(self, results)
        if keypoint.shape[1] < 1:
            raise transform_error(self, results, f'keypoint has no frame (shape {keypoint.shape})')
        draws = self._draws(results, bool(results.get('test_mode', False)))
        keypoint, _ = pop_merged_keypoint(self, results)
        total = keypoint.shape[1]
        frame_inds = []
        for _ in range(self.num_clips):
            inds, n, off = _uniform_clip(draws, total, self.clip_len, self.p_interval)
            if n < self.clip_len:
                inds = inds % n
            frame_inds.append(inds + off)
        results['keypoint'] = keypoint[:, np.concatenate(frame_inds)].astype(np.float32, copy=False)
        return self._set_clip_fields(results)


@TRANSFORMS.register_module()
class PoseDecode(BaseTransform):
    """Gather the sampled frames: ``keypoint = keypoint[:, frame_inds + offset]``.

    Required keys: ``keypoint`` ``(M, T, V, C)``, ``keypoint_score`` ``(M, T, V)`` (optional),
    ``frame_inds`` (optional; all frames when absent), ``offset`` (optional, default 0).
    Modified keys: ``keypoint`` float32 ``(M, len(frame_inds), V, C)``, ``keypoint_score`` float32,
    ``frame_inds`` (1-D int64).
    """

    def transform(self, results):
        keypoint = get_keypoint(self, results)
        T = keypoint.shape[1]
        if 'frame_inds' not in results:
            results['frame_inds'] = np.arange(results.get('total_frames', T))
        inds = np.asarray(results['frame_inds'])
        if inds.ndim != 1:
            inds = inds.reshape(-1) if inds.size == 1 else np.squeeze(inds)
        if inds.ndim != 1:
            raise transform_error(self, results, f"field 'frame_inds' must be 1-D, got shape {inds.shape}")
        if inds.dtype.kind == 'f':
            if not np.all(inds == np.floor(inds)):
                raise transform_error(
                    self, results, "field 'frame_inds' has fractional indices; PoseDecode needs integer frame indices"
                )
            inds = inds.astype(np.int64)
        elif inds.dtype.kind not in 'iu':
            raise transform_error(self, results, f"field 'frame_inds' must hold integers, got {inds.dtype}")
        results['frame_inds'] = inds
        inds = inds + results.get('offset', 0)
        if inds.size and (inds.min() < 0 or inds.max() >= T):
            raise transform_error(
                self, results, f'frame indices span [{inds.min()}, {inds.max()}] but keypoint has {T} frames'
            )
        if 'keypoint_score' in results:
            score = get_array(self, results, 'keypoint_score', ndim=3)
            results['keypoint_score'] = score[:, inds].astype(np.float32, copy=False)
        results['keypoint'] = keypoint[:, inds].astype(np.float32, copy=False)
        return results

    def __repr__(self):
        return f'{type(self).__name__}()'


@TRANSFORMS.register_module()
class DecompressPose(BaseTransform):
    """PYSKL's compressed skeleton instances (its Kinetics-400 format) -> ``(M, T, V, 2)`` keypoints and scores.

    Required keys: ``frame_inds`` ``(N,)`` (the frame of each instance), ``keypoint`` ``(N, V, 3)`` (x, y,
    score; :class:`~pyskl.datasets.PoseDataset` reads it from the sample's kpfile, ``raw_file``),
    ``total_frames``; ``anno_inds`` (optional: the instances kept by the dataset's ``box_thr``).
    Modified keys: ``keypoint`` float32 ``(M, T, V, 2)``, ``keypoint_score`` float32 ``(M, T, V)`` (added),
    ``total_frames``; ``frame_inds``, ``anno_inds`` and ``raw_file`` (the kpfile the instances came from) are
    removed; ``num_person`` is set when persons were
    dropped. See :func:`pyskl.core.compressed.decompress_pose` for the rules (PYSKL's, float16 rounding
    included). A sample that is already dense (``keypoint`` ``(M, T, V, C)``, no ``frame_inds``) passes unchanged,
    so the K400 configs also read files with inline keypoints (e.g. from ``pyskl extract-2d``).

    Args:
        squeeze (bool): Drop the frames without any instance. Defaults to True.
        max_person (int): Keep at most this many persons per frame, those with the highest summed joint
            scores. Defaults to 10.
    """

    def __init__(self, squeeze: bool = True, max_person: int = 10):
        if not isinstance(max_person, int) or isinstance(max_person, bool) or max_person < 1:
            raise ValueError(f'DecompressPose: max_person must be a positive int, got {max_person!r}')
        self.squeeze = bool(squeeze)
        self.max_person = max_person

    def transform(self, results):
        from pyskl.core.compressed import decompress_pose

        keypoint = results.get('keypoint')
        if 'frame_inds' not in results and isinstance(keypoint, np.ndarray) and keypoint.ndim == 4:
            return results  # already (M, T, V, C)
        for key in ('frame_inds', 'keypoint', 'total_frames'):
            if key not in results:
                raise transform_error(self, results, f'missing field {key!r} (present: {sorted(results)})')
        keypoint = results['keypoint']
        if not isinstance(keypoint, np.ndarray) or keypoint.ndim != 3 or keypoint.shape[-1] < 3:
            shape = keypoint.shape if isinstance(keypoint, np.ndarray) else type(keypoint).__name__
            raise transform_error(
                self, results, f"field 'keypoint' must be compressed instances (N, V, 3), got {shape}"
            )
        try:
            kp, score, total, dropped = decompress_pose(
                results['frame_inds'],
                keypoint,
                int(results['total_frames']),
                results.get('anno_inds'),
                self.squeeze,
                self.max_person,
            )
        except (ValueError, IndexError) as e:
            raise transform_error(self, results, str(e)) from None
        for key in ('frame_inds', 'anno_inds', 'raw_file'):
            results.pop(key, None)
        results.update(keypoint=kp, keypoint_score=score, total_frames=total)
        if dropped:
            results['num_person'] = self.max_person
        return results

    def __repr__(self):
        return f'{type(self).__name__}(squeeze={self.squeeze}, max_person={self.max_person})'

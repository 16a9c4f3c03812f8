"""PYSKL's compressed skeleton format (its Kinetics-400 files), torch-free: checks, kpfile reading, decompression.

A compressed sample lists skeleton *instances* instead of an ``(M, T, V, C)`` array:

- ``frame_inds`` ``(N,)``: the frame of each instance, non-decreasing;
- ``keypoint`` ``(N, V, 3)``: ``(x, y, score)`` of each instance's joints, either in the sample or, with
  ``raw_file``, in a **kpfile**: a pickle ``{frame_dir: {'keypoint': (N, V, 3)}, ...}`` holding many samples
  (PYSKL's ``data/k400/kpfiles``; it served them from memcached);
- ``box_score`` ``(N,)`` and ``valid`` ``{box_thr: frames}`` for the dataset's ``valid_ratio`` / ``box_thr``
  filter, which turns them into ``anno_inds`` (the instances to keep);
- ``total_frames``, ``label``, ``img_shape`` as usual.

:func:`decompress_pose` (the ``DecompressPose`` transform) rebuilds ``keypoint`` ``(M, T, V, 2)`` and
``keypoint_score`` ``(M, T, V)`` the way PYSKL does, float16 rounding included (its arrays are float16; here they
are float32 arrays holding the same values), so a released K400 checkpoint sees the inputs it was trained on.
"""

import os
from collections import OrderedDict
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from .io import safe_load_pickle

__all__ = ['is_compressed', 'check_compressed', 'decompress_pose', 'KpfileReader']


def is_compressed(ann: dict) -> bool:
    """A sample in the compressed format: ``frame_inds`` with a kpfile (``raw_file``) or an ``(N, V, C)``
    keypoint array."""
    if 'frame_inds' not in ann:
        return False
    kp = ann.get('keypoint')
    return ('raw_file' in ann and kp is None) or (isinstance(kp, np.ndarray) and kp.ndim == 3)


def _instances_problem(value, n: Optional[int]) -> Optional[str]:
    if not isinstance(value, np.ndarray) or value.ndim != 1:
        what = f'shape {value.shape}' if isinstance(value, np.ndarray) else type(value).__name__
        return f'must be a 1-D numpy array (one entry per skeleton instance), got {what}'
    if n is not None and len(value) != n:
        return f'has {len(value)} entries but there are {n} skeleton instances'
    return None


def check_compressed(ann: dict, bad: Callable, num_node: Optional[int] = None, layout=None) -> None:
    """Report the problems of a compressed sample (see the module docstring) through ``bad(field, kind,
    message)``; a kpfile's keypoints are checked when read (:meth:`KpfileReader.keypoint`)."""
    inds = ann['frame_inds']
    problem = _instances_problem(inds, None)
    if problem is None and inds.dtype.kind not in 'iu':
        problem = f'must hold integers, got {inds.dtype}'
    if problem is not None:
        bad('frame_inds', 'type', problem)
        return
    if len(inds) == 0:
        bad('frame_inds', 'empty', 'has no skeleton instance (DecompressPose would have nothing to build)')
    elif inds.min() < 0 or np.any(np.diff(inds) < 0):
        bad('frame_inds', 'order', 'must be non-negative and non-decreasing (instances in frame order)')
    total = ann.get('total_frames')
    if total is None:
        ann['total_frames'] = int(inds.max()) + 1 if len(inds) else 0
    elif isinstance(total, (bool, np.bool_)) or not isinstance(total, (int, np.integer)) or total < 1:
        bad('total_frames', 'type', f'must be a positive int, got {total!r}')
    elif len(inds) and inds.max() >= total:
        bad('frame_inds', 'range', f'has frame {int(inds.max())} but total_frames is {total}')
    if 'box_score' in ann:
        problem = _instances_problem(ann['box_score'], len(inds))
        if problem is not None:
            bad('box_score', 'shape', problem)
    if 'keypoint' in ann:
        problem = keypoint_problem(ann['keypoint'], len(inds), num_node, layout)
        if problem is not None:
            bad('keypoint', 'shape', problem)
    elif not isinstance(ann['raw_file'], str) or not ann['raw_file']:
        bad('raw_file', 'type', f'must be the path of a kpfile (str), got {ann["raw_file"]!r}')


def keypoint_problem(kp, n: int, num_node: Optional[int] = None, layout=None) -> Optional[str]:
    """What is wrong with the instances' keypoints ``(N, V, 3)`` of a compressed sample, or None."""
    if not isinstance(kp, np.ndarray) or kp.dtype.kind not in 'fiu':
        what = f'array of dtype {kp.dtype}' if isinstance(kp, np.ndarray) else type(kp).__name__
        return f'must be a numeric numpy array (N, V, 3) of (x, y, score), got {what}'
    if kp.ndim != 3 or kp.shape[-1] < 3:
        return f'must be (N, V, 3): (x, y, score) per instance and joint, got shape {kp.shape}'
    if len(kp) != n:
        return f'has {len(kp)} instances (shape {kp.shape}) but frame_inds has {n}'
    if num_node is not None and kp.shape[1] != num_node:
        return f'has V={kp.shape[1]} joints (shape {kp.shape}) but layout {layout!r} has {num_node}'
    if kp.size and not np.isfinite(kp).all():
        return f'has {int(np.count_nonzero(~np.isfinite(kp)))} NaN/Inf value(s)'
    return None


def decompress_pose(
    frame_inds: np.ndarray,
    keypoint: np.ndarray,
    total_frames: int,
    anno_inds: Optional[np.ndarray] = None,
    squeeze: bool = True,
    max_person: int = 10,
) -> Tuple[np.ndarray, np.ndarray, int, bool]:
    """PYSKL's ``DecompressPose``: instances -> ``(keypoint (M, T, V, 2), keypoint_score (M, T, V), T, dropped)``
    (``dropped``: some frame had more than ``max_person`` instances).

    ``anno_inds`` (bool mask or indices) selects instances first. With ``squeeze`` the frames without an
    instance are dropped (``T`` = the number of distinct frames), else ``T = total_frames``. ``M`` is the most
    instances any frame has; each frame's instances fill person slots in their order, and when ``M >
    max_person`` every frame's instances are sorted by their summed joint scores (descending, stable) and
    ``M = max_person``. Values are rounded to float16 as PYSKL's arrays are (returned as float32).

    Raises:
        ValueError: inconsistent instances, or none left (the message names the field).
    """
    frame_inds = np.asarray(frame_inds)
    keypoint = np.asarray(keypoint)
    if anno_inds is not None:
        anno_inds = np.asarray(anno_inds)
        frame_inds, keypoint = frame_inds[anno_inds], keypoint[anno_inds]
    if len(frame_inds) != len(keypoint):
        raise ValueError(f"field 'keypoint': {len(keypoint)} instances but field 'frame_inds' has {len(frame_inds)}")
    if len(frame_inds) == 0:
        raise ValueError("field 'frame_inds': no skeleton instance (left after box_thr filtering)")
    if np.any(np.diff(frame_inds) < 0) or frame_inds.min() < 0:
        raise ValueError("field 'frame_inds': must be non-negative and non-decreasing")
    if squeeze:
        frames = np.unique(frame_inds, return_inverse=True)[1].reshape(-1)
        total_frames = int(frames.max()) + 1
    else:
        frames = frame_inds.astype(np.int64)
        if frames.max() >= total_frames:
            raise ValueError(f"field 'frame_inds': frame {int(frames.max())} >= total_frames {total_frames}")
    counts = np.bincount(frames, minlength=total_frames)
    num_person = int(counts.max())
    # slot of each instance: its rank among the instances of its frame (frames are sorted, so a running count)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slots = np.arange(len(frames)) - starts[frames]
    num_joints = keypoint.shape[1]
    kp = np.zeros((num_person, total_frames, num_joints, 2), dtype=np.float16)
    score = np.zeros((num_person, total_frames, num_joints), dtype=np.float16)
    kp[slots, frames] = keypoint[:, :, :2]
    score[slots, frames] = keypoint[:, :, 2]
    dropped = num_person > max_person
    if dropped:
        for t in np.flatnonzero(counts > 1):
            n = counts[t]
            order = np.argsort(-score[:n, t].sum(-1), kind='stable')
            kp[:n, t], score[:n, t] = kp[order, t], score[order, t]
        num_person = max_person
    return kp[:num_person].astype(np.float32), score[:num_person].astype(np.float32), total_frames, dropped


class KpfileReader:
    """The keypoints of compressed samples stored in kpfiles (``raw_file``), with the last ``max_files`` kpfiles
    kept in memory (each holds many samples). A relative ``raw_file`` is looked up from the working directory,
    then from the annotation file's folder. Kpfiles are read with :func:`~pyskl.core.io.safe_load_pickle`.

    Args:
        ann_file (str): The annotation file (named in errors; its folder resolves relative paths).
        max_files (int): Kpfiles kept loaded. Defaults to 2.
    """

    def __init__(self, ann_file: str, max_files: int = 2):
        self.check_max_files(max_files)
        self.ann_file = ann_file
        self.max_files = max_files
        self._cache: 'OrderedDict[str, Dict]' = OrderedDict()

    @staticmethod
    def check_max_files(max_files) -> None:
        """Raise ``ValueError`` unless ``max_files`` is a positive int."""
        if isinstance(max_files, bool) or not isinstance(max_files, int) or max_files < 1:
            raise ValueError(f'KpfileReader: max_files (max_kpfiles) must be a positive int, got {max_files!r}')

    def __getstate__(self):  # dataloader workers start with an empty cache
        return dict(self.__dict__, _cache=OrderedDict())

    def resolve(self, raw_file: str, sample: str) -> str:
        candidates = [raw_file]
        if not os.path.isabs(raw_file):
            candidates.append(os.path.join(os.path.dirname(os.path.abspath(self.ann_file)), raw_file))
        for path in candidates:
            if os.path.isfile(path):
                return path
        raise FileNotFoundError(
            f"{self.ann_file}: {sample}: field 'raw_file': kpfile not found (looked for {' and '.join(candidates)})"
        )

    def _load(self, path: str, sample: str) -> Dict:
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        data = safe_load_pickle(path)
        if not isinstance(data, dict):
            raise ValueError(
                f"{self.ann_file}: {sample}: field 'raw_file': kpfile {path} must hold a dict "
                f'{{frame_dir: {{"keypoint": (N, V, 3)}}}}, got {type(data).__name__}'
            )
        self._cache[path] = data
        while len(self._cache) > self.max_files:
            self._cache.popitem(last=False)
        return data

    def instances(self, ann: dict, num_node: Optional[int] = None, layout=None) -> np.ndarray:
        """A compressed sample's ``(N, V, 3)`` instances: its own ``keypoint``, else those in its kpfile
        (:meth:`keypoint`)."""
        if 'keypoint' in ann:
            return ann['keypoint']
        return self.keypoint(ann['raw_file'], ann.get('frame_dir'), len(ann['frame_inds']), num_node, layout)

    def keypoint(
        self, raw_file: str, frame_dir: str, num_instances: int, num_node: Optional[int] = None, layout=None
    ) -> np.ndarray:
        """The ``(N, V, 3)`` instances of ``frame_dir`` in kpfile ``raw_file``, checked against
        ``num_instances`` (the sample's ``frame_inds``) and, when given, the layout's ``num_node`` joints."""
        sample = f'sample frame_dir={frame_dir!r}'
        path = self.resolve(raw_file, sample)
        entry = self._load(path, sample).get(frame_dir)
        if isinstance(entry, dict):
            entry = entry.get('keypoint')
        if entry is None:
            raise ValueError(f"{self.ann_file}: {sample}: field 'raw_file': kpfile {path} has no keypoint for it")
        problem = keypoint_problem(entry, num_instances, num_node, layout)
        if problem is not None:
            raise ValueError(f"{path}: {sample}: field 'keypoint': {problem}")
        entry.flags.writeable = False  # shared by every read of the cached kpfile: a transform must not edit it
        return entry

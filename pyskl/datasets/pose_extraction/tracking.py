"""Stable person ids across frames for estimators that return several people, and the NTU-style choice of
the (up to) two most active tracks.

:class:`PoseTracker` matches each frame's detections to the live tracks by the distance between a
detection's keypoints and the track's constant-velocity prediction (median over the joints both see,
divided by the track's box diagonal), greedily from the closest pair, accepting pairs below ``max_cost``.
Unmatched detections start new tracks; a track unseen for more than ``max_age`` frames ends. No compiled
dependency (numpy only).

:func:`select_tracks` orders tracks by motion (variance of their visible joint positions, as NTU's
denoising orders bodies) and packs them into ``max_persons`` slots by non-overlapping frame intervals.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['PoseTracker', 'track_poses', 'select_tracks']


class PoseTracker:
    """Assign track ids to the persons of consecutive frames.

    Args:
        max_age (int): Frames a track may go unseen and still be continued. Defaults to 30.
        max_cost (float): Largest accepted matching cost (joint distance / track box diagonal). Defaults to 0.5.
        min_score (float): Joints scored below this are not used for matching. Defaults to 0.1.
        momentum (float): Weight of the newest displacement in the velocity estimate. Defaults to 0.5.
    """

    def __init__(self, max_age: int = 30, max_cost: float = 0.5, min_score: float = 0.1, momentum: float = 0.5):
        if max_age < 0 or max_cost <= 0 or not 0 < momentum <= 1:
            raise ValueError(
                f'PoseTracker: need max_age >= 0, max_cost > 0, 0 < momentum <= 1; '
                f'got {max_age}, {max_cost}, {momentum}'
            )
        self.max_age, self.max_cost, self.min_score, self.momentum = max_age, max_cost, min_score, momentum
        self.reset()

    def reset(self) -> None:
        """Forget every track (before a new video)."""
        self._tracks: Dict[int, dict] = {}
        self._next_id = 0
        self._frame = -1

    @staticmethod
    def _scale(kp: np.ndarray, seen: np.ndarray) -> float:
        pts = kp[seen] if seen.any() else kp
        extent = pts.max(0) - pts.min(0)
        return max(float(np.hypot(*extent)), 1e-6)

    def _cost(self, track: dict, kp: np.ndarray, seen: np.ndarray) -> float:
        gap = self._frame - track['frame']
        pred = track['kp'] + track['vel'] * gap
        both = seen & track['seen']
        if not both.any():
            return np.inf
        dist = np.linalg.norm(pred[both] - kp[both], axis=-1)
        return float(np.median(dist)) / track['scale']

    def update(self, keypoint: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Match one frame.

        Args:
            keypoint: ``(P, V, 2)`` pixels of the frame's P persons (any order).
            score: ``(P, V)`` joint scores.

        Returns:
            np.ndarray: int64 ``(P,)`` track id of each person (ids start at 0 and are never reused).
        """
        keypoint = np.asarray(keypoint, np.float64)
        score = np.asarray(score, np.float64)
        if keypoint.ndim != 3 or keypoint.shape[-1] != 2 or score.shape != keypoint.shape[:2]:
            raise ValueError(
                f'PoseTracker.update: expected keypoint (P, V, 2) and score (P, V), got '
                f'{keypoint.shape} and {score.shape}'
            )
        self._frame += 1
        for tid in [t for t, tr in self._tracks.items() if self._frame - tr['frame'] > self.max_age + 1]:
            del self._tracks[tid]
        seen = score >= self.min_score
        pairs = sorted(
            (self._cost(tr, keypoint[p], seen[p]), p, tid)
            for p in range(len(keypoint))
            for tid, tr in self._tracks.items()
        )
        ids = np.full(len(keypoint), -1, np.int64)
        taken = set()
        for cost, p, tid in pairs:
            if cost >= self.max_cost:
                break
            if ids[p] < 0 and tid not in taken:
                ids[p] = tid
                taken.add(tid)
        for p in range(len(keypoint)):
            if ids[p] < 0:
                ids[p] = self._next_id
                self._next_id += 1
            self._store(int(ids[p]), keypoint[p], seen[p])
        return ids

    def _store(self, tid: int, kp: np.ndarray, seen: np.ndarray) -> None:
        track = self._tracks.get(tid)
        vel = np.zeros_like(kp)
        if track is not None:
            gap = self._frame - track['frame']
            both = seen & track['seen']
            step = np.where(both[:, None], (kp - track['kp']) / gap, track['vel'])
            vel = self.momentum * step + (1 - self.momentum) * track['vel']
            kp = np.where(seen[:, None], kp, track['kp'] + track['vel'] * gap)  # keep predicting unseen joints
            seen = seen | track['seen']
        self._tracks[tid] = dict(kp=kp, vel=vel, seen=seen, frame=self._frame, scale=self._scale(kp, seen))


def track_poses(
    keypoints: Sequence[np.ndarray], scores: Sequence[np.ndarray], tracker: Optional[PoseTracker] = None
) -> List[dict]:
    """Track the persons of a whole sequence.

    Args:
        keypoints: per frame ``(P_t, V, 2)``.
        scores: per frame ``(P_t, V)``.
        tracker: defaults to ``PoseTracker()``.

    Returns:
        list[dict]: one per track, in order of first appearance: ``id``, ``frames`` int64 ``(n,)``,
        ``keypoint`` float32 ``(n, V, 2)``, ``score`` float32 ``(n, V)``.
    """
    tracker = tracker or PoseTracker()
    tracker.reset()
    tracks: Dict[int, dict] = {}
    for t, (kp, sc) in enumerate(zip(keypoints, scores)):
        for p, tid in enumerate(tracker.update(kp, sc)):
            tr = tracks.setdefault(int(tid), dict(id=int(tid), frames=[], keypoint=[], score=[]))
            tr['frames'].append(t)
            tr['keypoint'].append(kp[p])
            tr['score'].append(sc[p])
    return [
        dict(
            id=tr['id'],
            frames=np.asarray(tr['frames'], np.int64),
            keypoint=np.asarray(tr['keypoint'], np.float32),
            score=np.asarray(tr['score'], np.float32),
        )
        for tr in tracks.values()
    ]


def _motion(track: dict, min_score: float) -> float:
    pts = track['keypoint'][track['score'] >= min_score]
    return float(np.var(pts, axis=0).sum()) if len(pts) > 1 else 0.0


def select_tracks(
    tracks: Sequence[dict], num_frames: int, max_persons: int = 2, min_score: float = 0.1
) -> Tuple[np.ndarray, np.ndarray]:
    """Pack the most active tracks into ``max_persons`` slots (NTU-style).

    Tracks are taken by motion, largest first; a track goes into the first slot whose occupied frames it
    does not overlap, else it is dropped. Frames are kept (a slot is zero where nobody is in it).

    Returns:
        tuple: ``keypoint`` float32 ``(M, T, V, 2)`` and ``keypoint_score`` float32 ``(M, T, V)`` with
        ``M = min(max_persons, number of tracks)`` (at least 1).
    """
    if max_persons < 1:
        raise ValueError(f'select_tracks: max_persons must be >= 1, got {max_persons}')
    if not tracks:
        raise ValueError('select_tracks: no tracks (nobody was detected)')
    num_node = tracks[0]['keypoint'].shape[1]
    order = sorted(tracks, key=lambda tr: _motion(tr, min_score), reverse=True)
    slots = min(max_persons, len(tracks))
    keypoint = np.zeros((slots, num_frames, num_node, 2), np.float32)
    score = np.zeros((slots, num_frames, num_node), np.float32)
    used = np.zeros((slots, num_frames), bool)
    for tr in order:
        for m in range(slots):
            if not used[m, tr['frames']].any():
                keypoint[m, tr['frames']] = tr['keypoint']
                score[m, tr['frames']] = tr['score']
                used[m, tr['frames']] = True
                break
    return keypoint, score

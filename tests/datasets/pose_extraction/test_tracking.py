"""PoseTracker / select_tracks on synthetic people: crossing paths, shuffled detection order, occlusion, noise."""

import numpy as np
import pytest

from pyskl.datasets.pose_extraction.tracking import PoseTracker, select_tracks, track_poses

V = 17


def _person(cx, cy, scale=40.0):
    """A rigid COCO-sized stick figure (V, 2) centred at (cx, cy)."""
    offsets = np.stack([np.linspace(-0.3, 0.3, V), np.linspace(-1.0, 1.0, V)], 1) * scale
    return (offsets + [cx, cy]).astype(np.float32)


def _crossing(num_frames=60, rng=None):
    """Two people walking towards each other along one line, crossing at frame 30 (a nearest-position matcher
    swaps them there), plus person B hidden for frames 40..44; each frame's detections in random order."""
    rng = rng or np.random.default_rng(0)
    frames, truth = [], []
    for t in range(num_frames):
        people = [('A', _person(100 + 8 * t, 200)), ('B', _person(580 - 8 * t, 200))]
        if 40 <= t < 45:
            people = people[:1]
        order = rng.permutation(len(people))
        people = [people[i] for i in order]
        kp = np.stack([p for _, p in people]) + rng.normal(0, 1.0, (len(people), V, 2)).astype(np.float32)
        frames.append((kp, np.full((len(people), V), 0.9, np.float32)))
        truth.append([name for name, _ in people])
    return frames, truth


def test_crossing_people_keep_their_ids():
    frames, truth = _crossing()
    tracker = PoseTracker()
    names = {}
    for (kp, score), who in zip(frames, truth):
        for tid, name in zip(tracker.update(kp, score), who):
            names.setdefault(int(tid), set()).add(name)
    # exactly two tracks, each always the same person, through the crossing and B's occlusion
    assert len(names) == 2 and sorted(map(sorted, names.values())) == [['A'], ['B']]


def test_track_poses_and_two_slot_selection():
    frames, truth = _crossing()
    # a third, short and nearly static false detection in frames 10..14
    noisy = []
    for t, (kp, score) in enumerate(frames):
        if 10 <= t < 15:
            kp = np.concatenate([kp, _person(600, 50)[None]])
            score = np.concatenate([score, np.full((1, V), 0.3, np.float32)])
        noisy.append((kp, score))
    tracks = track_poses([k for k, _ in noisy], [s for _, s in noisy])
    assert len(tracks) == 3 and [len(t['frames']) for t in tracks] == [60, 55, 5]
    keypoint, score = select_tracks(tracks, num_frames=60, max_persons=2)
    assert keypoint.shape == (2, 60, V, 2) and score.shape == (2, 60, V)
    # the static detection is the least active: it only fits a slot where that slot is empty (B's gap
    # does not cover frames 10..14), so it is dropped; A and B fill the two slots
    assert not (np.abs(keypoint[:, :, :, 0] - 600) < 20).all(axis=-1).any()
    xs = keypoint[:, :, V // 2, 0]
    moving_right = [bool(np.all(np.diff(x[score[m, :, 0] > 0]) > 0)) for m, x in enumerate(xs)]
    assert sorted(moving_right) == [False, True]  # one slot is A throughout, the other B
    assert not score[[m for m in range(2) if not moving_right[m]][0], 40:45].any()  # B hidden there


def test_select_tracks_single_and_errors():
    frames, _ = _crossing(10)
    tracks = track_poses(
        [k[:1] * 0 + _person(50 + t, 50) for t, (k, _) in enumerate(frames)], [s[:1] for _, s in frames]
    )
    keypoint, score = select_tracks(tracks, 10, max_persons=2)
    assert keypoint.shape == (1, 10, V, 2) and score.all()
    with pytest.raises(ValueError, match='no tracks'):
        select_tracks([], 10)
    with pytest.raises(ValueError, match=r'\(P, V, 2\)'):
        PoseTracker().update(np.zeros((2, V, 3)), np.zeros((2, V)))


def test_ids_are_not_reused_after_max_age():
    tracker = PoseTracker(max_age=2)
    kp, sc = _person(0, 0)[None], np.ones((1, V), np.float32)
    assert tracker.update(kp, sc).tolist() == [0]
    for _ in range(3):
        tracker.update(np.zeros((0, V, 2)), np.zeros((0, V)))
    assert tracker.update(kp, sc).tolist() == [1]  # unseen for 3 > max_age frames: a new track
    tracker.reset()
    assert tracker.update(kp, sc).tolist() == [0]

"""Tests of pyskl/datasets/transforms/sampling.py."""

import numpy as np
import pytest

import pyskl.datasets.transforms  # noqa: F401  (registers the transforms)
from pyskl.datasets.transforms import PoseDecode, UniformSampleDecode, UniformSampleFrames
from pyskl.registry import TRANSFORMS


def _anchor_test_inds(T, clip_len, num_clips=1, p_interval=(1, 1), seed=255):
    """Reference: the anchors' test-mode sampling, written from its description with the global
    ``np.random`` calls they make (the global state is restored afterwards)."""
    saved = np.random.get_state()
    try:
        np.random.seed(seed)
        out = []
        for i in range(num_clips):
            ratio = np.random.rand() * (p_interval[1] - p_interval[0]) + p_interval[0]
            n = int(ratio * T)
            off = np.random.randint(T - n + 1)
            if n < clip_len:
                start = i if n < num_clips else i * n // num_clips
                inds = np.arange(start, start + clip_len)
            elif n < 2 * clip_len:
                pos = np.random.choice(clip_len + 1, n - clip_len, replace=False)
                offset = np.zeros(clip_len + 1, dtype=np.int64)
                offset[pos] = 1
                inds = np.arange(clip_len) + np.cumsum(offset)[:-1]
            else:
                bids = np.array([k * n // clip_len for k in range(clip_len + 1)])
                inds = bids[:clip_len] + np.random.randint(np.diff(bids))
            out.append(inds + off)
        return np.mod(np.concatenate(out), T)
    finally:
        np.random.set_state(saved)


def _sample(T, clip_len, test_mode=True, rng=None, **kwargs):
    results = dict(total_frames=T, start_index=0, test_mode=test_mode, frame_dir='s', sample_idx=3)
    if rng is not None:
        results['rng'] = rng
    return UniformSampleFrames(clip_len, **kwargs)(results)


@pytest.mark.parametrize('T', [7, 10, 13, 19, 20, 45, 300])
@pytest.mark.parametrize('num_clips', [1, 3])
@pytest.mark.parametrize('p_interval', [1, (0.5, 1)])
def test_test_mode_matches_anchor_reference(T, num_clips, p_interval):
    pi = (p_interval, p_interval) if not isinstance(p_interval, tuple) else p_interval
    out = _sample(T, 10, num_clips=num_clips, p_interval=p_interval)
    expected = _anchor_test_inds(T, 10, num_clips, pi)
    np.testing.assert_array_equal(out['frame_inds'], expected)
    assert out['frame_inds'].dtype == np.int64
    assert out['clip_len'] == 10 and out['num_clips'] == num_clips and out['frame_interval'] is None


def test_test_mode_independently_known_values():
    # T == clip_len: the middle branch with no step -> every frame once
    np.testing.assert_array_equal(_sample(10, 10)['frame_inds'], np.arange(10))
    # T < clip_len, one clip: starts at 0 and loops
    np.testing.assert_array_equal(_sample(4, 10)['frame_inds'], np.arange(10) % 4)
    # T < clip_len, 3 clips: clip i starts at i * T // 3
    inds = _sample(9, 10, num_clips=3)['frame_inds'].reshape(3, 10)
    for i in range(3):
        np.testing.assert_array_equal(inds[i], (np.arange(10) + i * 3) % 9)
    # 2 * clip_len <= T: one index in each segment of T // clip_len frames
    inds = _sample(50, 10)['frame_inds']
    np.testing.assert_array_equal(inds // 5, np.arange(10))
    # clip_len < T < 2 * clip_len: sorted, distinct, steps of 1 or 2, all within range
    inds = _sample(15, 10)['frame_inds']
    assert np.all(np.diff(inds) >= 1) and np.all(np.diff(inds) <= 2) and inds.max() < 15
    assert np.sum(np.diff(inds) == 2) + inds[0] + (14 - inds[-1]) == 5


def test_test_mode_deterministic_and_independent_of_rng_and_global_state():
    np.random.seed(1)
    state = np.random.get_state()
    a = _sample(123, 20, num_clips=10, rng=np.random.default_rng(0))['frame_inds']
    np.random.rand(5)  # moving the global RNG changes nothing
    b = _sample(123, 20, num_clips=10, rng=np.random.default_rng(99))['frame_inds']
    np.testing.assert_array_equal(a, b)
    np.random.set_state(state)
    _sample(123, 20, num_clips=10)
    after = np.random.get_state()
    assert np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    # a different seed gives different indices
    c = _sample(123, 20, num_clips=10, seed=0)['frame_inds']
    assert not np.array_equal(a, c)


def test_train_mode_uses_results_rng_only():
    np.random.seed(7)
    state = np.random.get_state()
    a = _sample(200, 30, test_mode=False, rng=np.random.default_rng(11), p_interval=(0.5, 1))['frame_inds']
    b = _sample(200, 30, test_mode=False, rng=np.random.default_rng(11), p_interval=(0.5, 1))['frame_inds']
    c = _sample(200, 30, test_mode=False, rng=np.random.default_rng(12), p_interval=(0.5, 1))['frame_inds']
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.array_equal(np.random.get_state()[1], state[1])
    assert a.shape == (30,) and a.min() >= 0 and a.max() < 200 and np.all(np.diff(a) > 0)
    with pytest.raises(ValueError, match=r"frame_dir='s'.*'rng'"):
        _sample(200, 30, test_mode=False)


def _train_reference(rng, T, clip_len, p_interval):
    ratio = rng.random() * (p_interval[1] - p_interval[0]) + p_interval[0]
    n = int(ratio * T)
    off = rng.integers(T - n + 1)
    if n < clip_len:
        start = rng.integers(0, n)
        inds = np.arange(start, start + clip_len)
    elif n < 2 * clip_len:
        pos = rng.choice(clip_len + 1, n - clip_len, replace=False)
        offset = np.zeros(clip_len + 1, dtype=np.int64)
        offset[pos] = 1
        inds = np.arange(clip_len) + np.cumsum(offset)[:-1]
    else:
        bids = np.array([k * n // clip_len for k in range(clip_len + 1)])
        inds = bids[:clip_len] + rng.integers(np.diff(bids))
    return inds, n, off


@pytest.mark.parametrize('T', [6, 15, 64])
def test_train_mode_three_branches_match_reference(T):
    clip_len, pi = 10, (0.6, 1.0)
    out = _sample(T, clip_len, test_mode=False, rng=np.random.default_rng(T), num_clips=2, p_interval=pi)
    ref_rng = np.random.default_rng(T)
    expected = []
    for _ in range(2):
        inds, _, off = _train_reference(ref_rng, T, clip_len, pi)
        expected.append(inds + off)
    np.testing.assert_array_equal(out['frame_inds'], np.mod(np.concatenate(expected), T))


def test_uniform_sample_alias_registry_float_ok_and_start_index():
    t = TRANSFORMS.build(dict(type='UniformSample', clip_len=100))
    assert type(t) is UniformSampleFrames and repr(t).startswith('UniformSampleFrames(clip_len=100,')
    kp = np.ones((2, 12, 5, 3), np.float32)
    r = dict(keypoint=kp, total_frames=12, test_mode=True, start_index=0)
    f = UniformSampleFrames(5, float_ok=True)(dict(r))
    i = UniformSampleFrames(5)(dict(r))
    assert f['frame_inds'].dtype == np.float32 and i['frame_inds'].dtype == np.int64
    np.testing.assert_array_equal(f['frame_inds'], i['frame_inds'])
    shifted = UniformSampleFrames(5)(dict(r, start_index=1))['frame_inds']
    np.testing.assert_array_equal(shifted, i['frame_inds'] + 1)
    with pytest.raises(ValueError, match=r'total_frames=13 but keypoint has 12'):
        UniformSampleFrames(5)(dict(r, total_frames=13))


def test_deprecated_test_mode_argument():
    with pytest.warns(DeprecationWarning, match='test_mode'):
        t = TRANSFORMS.build(dict(type='UniformSampleFrames', clip_len=10, test_mode=True))
    # ignored: the results decide
    out = t(dict(total_frames=50, test_mode=False, rng=np.random.default_rng(0)))
    ref = UniformSampleFrames(10)(dict(total_frames=50, test_mode=False, rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(out['frame_inds'], ref['frame_inds'])
    with pytest.warns(DeprecationWarning):
        UniformSampleDecode(10, test_mode=False)
    with pytest.raises(ValueError, match='p_interval'):
        UniformSampleFrames(10, p_interval=(0.9, 0.5))
    with pytest.raises(TypeError):
        UniformSampleFrames(10, bogus=1)


def test_uniform_sample_decode():
    T, clip_len = 8, 5
    kp = np.arange(2 * T * 3 * 2, dtype=np.float32).reshape(2, T, 3, 2)
    score = np.random.default_rng(0).uniform(size=(2, T, 3)).astype(np.float32)
    saved = kp.copy(), score.copy()
    out = UniformSampleDecode(clip_len, num_clips=3, p_interval=(0.2, 1))(
        dict(keypoint=kp, keypoint_score=score, test_mode=True)
    )
    assert 'keypoint_score' not in out and out['num_clips'] == 3 and out['clip_len'] == clip_len
    y = out['keypoint']
    assert y.shape == (2, 15, 3, 3) and y.dtype == np.float32
    # the same draws as the anchors (RandomState(255)); short windows loop inside the window
    rs = np.random.RandomState(255)
    branches = set()
    for c in range(3):
        ratio = rs.rand() * 0.8 + 0.2
        n = int(ratio * T)
        off = rs.randint(T - n + 1)
        branches.add(n < clip_len)
        if n < clip_len:
            start = rs.randint(0, n)
            inds = np.arange(start, start + clip_len) % n + off
        else:
            pos = rs.choice(clip_len + 1, n - clip_len, replace=False)
            offset = np.zeros(clip_len + 1, dtype=np.int64)
            offset[pos] = 1
            inds = np.arange(clip_len) + np.cumsum(offset)[:-1] + off
        np.testing.assert_array_equal(y[..., :2][:, c * clip_len : (c + 1) * clip_len], kp[:, inds])
        np.testing.assert_array_equal(y[..., 2][:, c * clip_len : (c + 1) * clip_len], score[:, inds])
    assert branches == {True, False}  # both the looped short window and the stepped branch ran
    np.testing.assert_array_equal(kp, saved[0])
    np.testing.assert_array_equal(score, saved[1])
    # training: results['rng'] decides
    r = dict(keypoint=kp, rng=np.random.default_rng(4))
    a = UniformSampleDecode(4, num_clips=2)(dict(r))['keypoint']
    b = UniformSampleDecode(4, num_clips=2)(dict(r, rng=np.random.default_rng(4)))['keypoint']
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 8, 3, 2)


def test_pose_decode():
    kp = np.arange(2 * 6 * 2 * 2, dtype=np.float64).reshape(2, 6, 2, 2)
    score = np.arange(2 * 6 * 2, dtype=np.float32).reshape(2, 6, 2)
    out = PoseDecode()(dict(keypoint=kp, keypoint_score=score, frame_inds=np.array([[5, 0, 0, 3]])))
    assert out['keypoint'].dtype == np.float32 and out['keypoint'].shape == (2, 4, 2, 2)
    np.testing.assert_array_equal(out['keypoint'], kp[:, [5, 0, 0, 3]])
    np.testing.assert_array_equal(out['keypoint_score'], score[:, [5, 0, 0, 3]])
    assert out['frame_inds'].shape == (4,)
    out = PoseDecode()(dict(keypoint=kp, total_frames=6))
    np.testing.assert_array_equal(out['keypoint'], kp)
    out = PoseDecode()(dict(keypoint=kp, frame_inds=np.array([1.0, 2.0], np.float32), offset=1))
    np.testing.assert_array_equal(out['keypoint'], kp[:, [2, 3]])
    with pytest.raises(ValueError, match=r"frame_dir='z'.*span \[0, 6\]"):
        PoseDecode()(dict(keypoint=kp, frame_inds=np.array([0, 6]), frame_dir='z'))
    with pytest.raises(ValueError, match='fractional'):
        PoseDecode()(dict(keypoint=kp, frame_inds=np.array([0.5])))
    assert repr(PoseDecode()) == 'PoseDecode()'

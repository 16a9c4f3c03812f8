"""Tests of pyskl/datasets/transforms/pose_related.py on hand-made skeletons."""

import warnings

import numpy as np
import pytest

import pyskl.datasets.transforms  # noqa: F401  (registers the transforms)
from pyskl.datasets.transforms import GenSkeFeat, PreNormalize2D, PreNormalize3D, RandomRot, RandomScale
from pyskl.core.layout import get_layout
from pyskl.registry import TRANSFORMS

S = np.sqrt(0.5)


def _ntu_skeleton(center=(0.3, 1.0, 3.0)):
    """One 25-joint frame: spine (joint 0 -> 1) along +y, shoulders (4 -> 8) along (1, 0, 1)."""
    c = np.array(center, dtype=np.float32)
    frame = np.tile(c, (25, 1)) + np.float32(0.05) * np.arange(25, dtype=np.float32)[:, None]
    frame[1] = c
    frame[0] = c + [0, -1, 0]
    frame[4] = c + [-0.5, 0.2, -0.5]
    frame[8] = c + [0.5, 0.2, 0.5]
    return frame.astype(np.float32)


def test_prenormalize3d_golden_values():
    frame = _ntu_skeleton()
    kp = np.stack([frame, frame + np.float32(0.1)])[None]  # (1, 2, 25, 3)
    kp[0, 1, 7] = 0  # a missing joint in frame 1 stays zero
    results = dict(keypoint=kp.copy(), total_frames=2, frame_dir='S001', sample_idx=0)
    norm = PreNormalize3D()
    # defaults named on the NTU layout: spine base -> middle, right -> left shoulder (PYSKL's (0, 1), (8, 4))
    assert (norm.zaxis, norm.xaxis) == ((0, 1), (8, 4))
    out = norm(results)
    y = out['keypoint']
    assert y.dtype == np.float32 and y.shape == (1, 2, 25, 3)
    # By hand: centre c = joint 1; rotate (x, y, z) -> (x, -z, y) (spine to +z), then 45 degrees
    # about +z (shoulders (1, -1, 0) to +x).
    np.testing.assert_allclose(out['body_center'], [0.3, 1.0, 3.0], atol=1e-6)
    np.testing.assert_allclose(y[0, 0, 1], [0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(y[0, 0, 0], [0, 0, -1], atol=1e-6)
    np.testing.assert_allclose(y[0, 0, 8], [S, 0, 0.2], atol=1e-6)
    np.testing.assert_allclose(y[0, 0, 4], [-S, 0, 0.2], atol=1e-6)
    # a generic joint: offset d = (a, a, a) -> (a, -a, a) -> (a*sqrt2, 0, a)
    a = 0.05 * 10
    np.testing.assert_allclose(y[0, 0, 10], [a * np.sqrt(2), 0, a], atol=1e-5)
    # frame 1 = frame 0 + 0.1: offset (0.1, 0.1, 0.1) after the same rotation
    np.testing.assert_allclose(y[0, 1, 1], [0.1 * np.sqrt(2), 0, 0.1], atol=1e-6)
    np.testing.assert_array_equal(y[0, 1, 7], 0)
    # rotation preserves lengths
    np.testing.assert_allclose(
        np.linalg.norm(y[0, 0] - y[0, 0, 1], axis=-1), np.linalg.norm(frame - frame[1], axis=-1), rtol=1e-5
    )
    assert out['total_frames'] == 2


def test_prenormalize3d_arbitrary_pose_aligns_spine_and_shoulders():
    rng = np.random.default_rng(0)
    kp = rng.normal(size=(2, 5, 25, 3)).astype(np.float32)
    # generic pose: the shoulders end on +x (the second rotation, about cross(shoulders, x), moves
    # the spine off +z unless the shoulders are perpendicular to it, as in the anchors)
    y = PreNormalize3D()(dict(keypoint=kp.copy(), total_frames=5))['keypoint']
    shoulders = y[0, 0, 8] - y[0, 0, 4]
    np.testing.assert_allclose(shoulders[1:], 0, atol=1e-5)
    assert shoulders[0] > 0
    np.testing.assert_allclose(y[0, 0, 1], 0, atol=1e-6)
    np.testing.assert_allclose(
        np.linalg.norm(y - y[0, 0, 1], axis=-1), np.linalg.norm(kp - kp[0, 0, 1], axis=-1), rtol=1e-4
    )
    # shoulders perpendicular to the spine: both end on their axes
    spine = kp[0, 0, 1] - kp[0, 0, 0]
    sh = kp[0, 0, 8] - kp[0, 0, 4]
    kp[0, 0, 8] = kp[0, 0, 4] + sh - spine * (sh @ spine) / (spine @ spine)
    y = PreNormalize3D()(dict(keypoint=kp, total_frames=5))['keypoint']
    spine = y[0, 0, 1] - y[0, 0, 0]
    np.testing.assert_allclose(spine / np.linalg.norm(spine), [0, 0, 1], atol=1e-5)
    shoulders = y[0, 0, 8] - y[0, 0, 4]
    np.testing.assert_allclose(shoulders / np.linalg.norm(shoulders), [1, 0, 0], atol=1e-5)


def test_prenormalize3d_drops_empty_frames_and_swaps_persons():
    rng = np.random.default_rng(1)
    kp = np.zeros((2, 6, 25, 3), dtype=np.float32)
    kp[0, [1, 2]] = rng.normal(size=(2, 25, 3))
    kp[1, [0, 2, 3, 5]] = rng.normal(size=(4, 25, 3))
    original = kp.copy()
    out = PreNormalize3D(align_spine=False, align_center=False)(dict(keypoint=kp, total_frames=6))
    # person 1 has more non-zero frames: its frames are kept and it becomes person 0
    np.testing.assert_array_equal(out['keypoint'], original[[1, 0]][:, [0, 2, 3, 5]])
    assert out['total_frames'] == 4
    np.testing.assert_array_equal(kp, original)  # input not mutated

    kp2 = np.zeros((2, 4, 25, 3), dtype=np.float32)
    kp2[0, [0, 3]] = 1.5
    kp2[1, [1, 3]] = 2.5  # a tie keeps person 0
    out = PreNormalize3D(align_spine=False, align_center=False)(dict(keypoint=kp2, total_frames=4))
    np.testing.assert_array_equal(out['keypoint'], kp2[:, [0, 3]])

    # a one-person skeleton with an empty frame; centring keeps zero joints at zero
    kp3 = np.zeros((1, 3, 25, 3), dtype=np.float32)
    kp3[0, 0] = _ntu_skeleton()
    kp3[0, 2] = _ntu_skeleton()
    kp3[0, 2, 5] = 0
    out = PreNormalize3D(align_spine=False)(dict(keypoint=kp3, total_frames=3))
    assert out['keypoint'].shape == (1, 2, 25, 3)
    np.testing.assert_allclose(out['keypoint'][0, 0], _ntu_skeleton() - _ntu_skeleton()[1], atol=1e-6)
    np.testing.assert_array_equal(out['keypoint'][0, 1, 5], 0)


def test_prenormalize3d_other_layout_centre_is_last_joint():
    kp = np.arange(1, 1 + 2 * 10 * 3, dtype=np.float32).reshape(1, 2, 10, 3)
    out = PreNormalize3D(align_spine=False)(dict(keypoint=kp, total_frames=2))
    np.testing.assert_array_equal(out['body_center'], kp[0, 0, -1])
    np.testing.assert_allclose(out['keypoint'], kp - kp[0, 0, -1])


def test_prenormalize3d_all_zero_and_errors():
    kp = np.zeros((2, 4, 25, 3), dtype=np.float32)
    out = PreNormalize3D()(dict(keypoint=kp, total_frames=4))
    assert out['keypoint'] is kp and out['total_frames'] == 4
    with pytest.raises(ValueError, match=r"frame_dir='bad'.*total_frames=5"):
        PreNormalize3D()(dict(keypoint=np.ones((1, 4, 25, 3), np.float32), total_frames=5, frame_dir='bad'))
    with pytest.raises(ValueError, match=r"'keypoint' must be 4-D"):
        PreNormalize3D()(dict(keypoint=np.ones((4, 25, 3), np.float32)))
    with pytest.raises(ValueError, match='channels'):
        PreNormalize3D()(dict(keypoint=np.ones((1, 4, 25, 2), np.float32)))
    with pytest.raises(KeyError, match="'keypoint'"):
        PreNormalize3D()(dict(total_frames=3))
    with pytest.raises(ValueError, match='outside'):
        PreNormalize3D()(dict(keypoint=np.ones((1, 2, 5, 3), np.float32)))


def test_prenormalize2d():
    kp = np.array([[[[0, 0], [960, 540], [1920, 1080], [480, 270]]]], dtype=np.float32)
    out = PreNormalize2D()(dict(keypoint=kp.copy(), keypoint_score=np.ones((1, 1, 4), np.float32)))
    np.testing.assert_allclose(out['keypoint'][0, 0], [[-1, -1], [0, 0], [1, 1], [-0.5, -0.5]])
    # img_shape from results wins over the argument
    out = PreNormalize2D(img_shape=(1, 1))(dict(keypoint=kp.copy(), img_shape=(540, 480)))
    np.testing.assert_allclose(out['keypoint'][0, 0, 3], [1, 0])
    src = kp.copy()
    PreNormalize2D()(dict(keypoint=src))
    np.testing.assert_array_equal(src, kp)
    # with a score channel, low-score joints are zeroed
    kp3 = np.concatenate([kp, np.array([0.5, 0.0, 0.5, 0.5], np.float32)[None, None, :, None]], -1)
    out = PreNormalize2D()(dict(keypoint=kp3))
    np.testing.assert_array_equal(out['keypoint'][0, 0, 1], [0, 0, 0])
    np.testing.assert_allclose(out['keypoint'][0, 0, 2], [1, 1, 0.5])


def test_random_rot_3d_matrix_and_rng():
    rng_seed = 7
    kp = np.random.default_rng(0).normal(size=(2, 3, 25, 3)).astype(np.float32)
    out = RandomRot(theta=0.3)(dict(keypoint=kp.copy(), rng=np.random.default_rng(rng_seed)))
    a = np.random.default_rng(rng_seed).uniform(-0.3, 0.3, size=3)
    c, s = np.cos(a), np.sin(a)
    rx = np.array([[1, 0, 0], [0, c[0], s[0]], [0, -s[0], c[0]]])
    ry = np.array([[c[1], 0, -s[1]], [0, 1, 0], [s[1], 0, c[1]]])
    rz = np.array([[c[2], s[2], 0], [-s[2], c[2], 0], [0, 0, 1]])
    expected = np.einsum('ab,mtvb->mtva', rz @ ry @ rx, kp.astype(np.float64))
    np.testing.assert_allclose(out['keypoint'], expected, atol=1e-5)
    assert out['keypoint'].dtype == np.float32
    # lengths preserved, and a zero skeleton is returned unchanged
    np.testing.assert_allclose(np.linalg.norm(out['keypoint'], axis=-1), np.linalg.norm(kp, axis=-1), rtol=1e-5)
    zero = np.zeros((1, 2, 25, 3), np.float32)
    assert RandomRot()(dict(keypoint=zero, rng=np.random.default_rng(0)))['keypoint'] is zero


def test_random_rot_2d_angle_range_is_symmetric():
    theta = 0.3
    kp = np.array([[[[1.0, 0.0]]]], dtype=np.float32)  # the unit x vector: angle = atan2(y, x)
    rng = np.random.default_rng(123)
    angles = np.array(
        [np.arctan2(*RandomRot(theta)(dict(keypoint=kp, rng=rng))['keypoint'][0, 0, 0, ::-1]) for _ in range(2000)]
    )
    assert angles.min() >= -theta - 1e-6 and angles.max() <= theta + 1e-6
    # symmetric about 0 (PYSKL drew from [-theta, 1.0): mean ~0.35)
    assert abs(angles.mean()) < 0.03
    assert angles.min() < -0.25 and angles.max() > 0.25
    with pytest.raises(ValueError, match='channels'):
        RandomRot()(dict(keypoint=np.ones((1, 1, 2, 4), np.float32), rng=rng))
    with pytest.raises(ValueError, match="'rng'"):
        RandomRot()(dict(keypoint=kp, frame_dir='x'))


def test_random_scale():
    kp = np.ones((1, 2, 3, 3), dtype=np.float32)
    out = RandomScale(scale=(0.1, 0.2, 0.0))(dict(keypoint=kp, rng=np.random.default_rng(5)))
    factor = 1 + np.random.default_rng(5).uniform(-1, 1, size=3) * np.array([0.1, 0.2, 0.0])
    np.testing.assert_allclose(out['keypoint'], np.broadcast_to(factor, (1, 2, 3, 3)), rtol=1e-6)
    assert out['keypoint'][..., 2].max() == 1
    np.testing.assert_array_equal(kp, 1)
    out = RandomScale(scale=0.2)(dict(keypoint=kp, rng=np.random.default_rng(6)))
    f = out['keypoint'][0, 0, 0]
    assert np.all((f >= 0.8) & (f <= 1.2)) and len(set(f.tolist())) == 3
    with pytest.raises(ValueError, match='2 values but keypoint has 3 channels'):
        RandomScale(scale=(0.1, 0.2))(dict(keypoint=kp, rng=np.random.default_rng(0)))


def _toy_2d(M=1, T=3, V=17, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(-1, 1, size=(M, T, V, 2)).astype(np.float32),
        rng.uniform(0, 1, size=(M, T, V)).astype(np.float32),
    )


def test_gen_ske_feat_3d_all_feats_exact():
    layout = get_layout('nturgb+d')
    rng = np.random.default_rng(3)
    kp = rng.normal(size=(2, 4, 25, 3)).astype(np.float32)
    out = GenSkeFeat(feats=['j', 'b', 'jm', 'bm'])(dict(keypoint=kp.copy()))['keypoint']
    assert out.shape == (2, 4, 25, 12) and out.dtype == np.float32
    bone = np.zeros_like(kp)
    for v, p in layout.bone_pairs:
        bone[:, :, v] = kp[:, :, v] - kp[:, :, p]
    jm = np.zeros_like(kp)
    bm = np.zeros_like(kp)
    for t in range(3):
        jm[:, t] = kp[:, t + 1] - kp[:, t]
        bm[:, t] = bone[:, t + 1] - bone[:, t]
    np.testing.assert_array_equal(out[..., 0:3], kp)
    np.testing.assert_allclose(out[..., 3:6], bone, atol=1e-6)
    np.testing.assert_allclose(out[..., 6:9], jm, atol=1e-6)
    np.testing.assert_allclose(out[..., 9:12], bm, atol=1e-6)
    # the NTU bones of the anchors: spine-mid (1) hangs off spine-shoulder (20), 20 is the root,
    # hand tip 21 off thumb 22
    np.testing.assert_allclose(out[..., 1, 3:6], kp[..., 1, :] - kp[..., 20, :], atol=1e-6)
    np.testing.assert_array_equal(out[..., 20, 3:6], 0)
    np.testing.assert_allclose(out[..., 21, 3:6], kp[..., 21, :] - kp[..., 22, :], atol=1e-6)
    # order follows feats
    out2 = GenSkeFeat(feats=['bm', 'j'])(dict(keypoint=kp.copy()))['keypoint']
    np.testing.assert_array_equal(out2, np.concatenate([out[..., 9:12], out[..., 0:3]], -1))


def test_gen_ske_feat_2d_score_channel_exact():
    kp, score = _toy_2d(M=1, T=3, V=17)
    results = dict(keypoint=kp, keypoint_score=score)
    out = GenSkeFeat(layout='coco', feats=['j', 'b', 'jm', 'bm'])(results)
    assert 'keypoint_score' not in out
    y = out['keypoint']
    assert y.shape == (1, 3, 17, 12)
    # joint: (x, y, score)
    np.testing.assert_array_equal(y[..., 0:2], kp)
    np.testing.assert_array_equal(y[..., 2], score)
    # bone of the left elbow (7) from the left shoulder (5)
    np.testing.assert_allclose(y[0, 1, 7, 3:5], kp[0, 1, 7] - kp[0, 1, 5], atol=1e-6)
    np.testing.assert_allclose(y[0, 1, 7, 5], (score[0, 1, 7] + score[0, 1, 5]) / 2, atol=1e-6)
    # COCO hips (11, 12) hang off the nose (0) in the anchors' bones; the root's bone is (0, 0, score)
    np.testing.assert_allclose(y[0, 2, 11, 3:5], kp[0, 2, 11] - kp[0, 2, 0], atol=1e-6)
    np.testing.assert_allclose(y[0, 0, 0, 3:6], [0, 0, score[0, 0, 0]], atol=1e-6)
    # joint motion with the mean score of the two frames, last frame zero
    np.testing.assert_allclose(y[0, 0, 4, 6:8], kp[0, 1, 4] - kp[0, 0, 4], atol=1e-6)
    np.testing.assert_allclose(y[0, 1, 4, 8], (score[0, 1, 4] + score[0, 2, 4]) / 2, atol=1e-6)
    np.testing.assert_array_equal(y[0, 2, :, 6:9], 0)
    # bone motion: score = mean over frames of the bone scores
    b_t0 = (score[0, 0, 9] + score[0, 0, 7]) / 2
    b_t1 = (score[0, 1, 9] + score[0, 1, 7]) / 2
    np.testing.assert_allclose(y[0, 0, 9, 11], (b_t0 + b_t1) / 2, atol=1e-6)
    np.testing.assert_allclose(y[0, 0, 9, 9:11], (kp[0, 1, 9] - kp[0, 1, 7]) - (kp[0, 0, 9] - kp[0, 0, 7]), atol=1e-6)
    np.testing.assert_array_equal(y[0, 2, :, 9:12], 0)


def test_gen_ske_feat_merged_coco_input_treats_third_channel_as_score():
    kp, score = _toy_2d(T=2)
    merged = np.concatenate([kp, score[..., None]], -1)
    a = GenSkeFeat(layout='coco', feats=['b', 'jm'])(dict(keypoint=kp, keypoint_score=score))['keypoint']
    b = GenSkeFeat(dataset='coco', feats=['b', 'jm'])(dict(keypoint=merged))['keypoint']
    np.testing.assert_array_equal(a, b)


def test_gen_ske_feat_layout_dict_and_errors():
    toy = dict(name='toy', num_node=3, inward=[(1, 0), (2, 1)], center=0)
    kp = np.arange(2 * 3 * 3, dtype=np.float32).reshape(1, 2, 3, 3) ** 2
    out = GenSkeFeat(layout=toy, feats=['b'])(dict(keypoint=kp))['keypoint']
    np.testing.assert_array_equal(out[0, :, 0], 0)
    np.testing.assert_array_equal(out[0, :, 1], kp[0, :, 1] - kp[0, :, 0])
    np.testing.assert_array_equal(out[0, :, 2], kp[0, :, 2] - kp[0, :, 1])
    with pytest.raises(ValueError, match="keypoint has 25 joints but layout 'coco' has 17"):
        GenSkeFeat(layout='coco')(dict(keypoint=np.zeros((1, 2, 25, 3), np.float32), frame_dir='f'))
    with pytest.raises(ValueError, match='feats'):
        GenSkeFeat(feats=['x'])
    with pytest.raises(ValueError, match='disagree'):
        GenSkeFeat(dataset='coco', layout='nturgb+d')
    with pytest.raises(KeyError, match='unknown skeleton layout'):
        GenSkeFeat(layout='nope')
    with pytest.raises(ValueError, match='keypoint_score'):
        GenSkeFeat(layout='coco')(
            dict(keypoint=np.zeros((1, 2, 17, 2), np.float32), keypoint_score=np.zeros((1, 3, 17), np.float32))
        )


def test_no_global_rng_and_no_mutation():
    kp3 = np.random.default_rng(0).normal(size=(2, 6, 25, 3)).astype(np.float32)
    kp2, score = _toy_2d(M=2, T=6)
    saved = [a.copy() for a in (kp3, kp2, score)]
    np.random.seed(1234)
    state = np.random.get_state()
    rng = np.random.default_rng(0)
    pipe3 = [PreNormalize3D(), RandomRot(), RandomScale(), GenSkeFeat(feats=['j', 'b', 'jm', 'bm'])]
    pipe2 = [PreNormalize2D(), RandomRot(), RandomScale(), GenSkeFeat(layout='coco', feats=['b', 'bm'])]
    r = dict(keypoint=kp3, total_frames=6, rng=rng)
    for t in pipe3:
        r = t(r)
    r = dict(keypoint=kp2, keypoint_score=score, rng=rng)
    for t in pipe2:
        r = t(r)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    for a, b in zip((kp3, kp2, score), saved):
        np.testing.assert_array_equal(a, b)


def test_registry_and_repr():
    t = TRANSFORMS.build(dict(type='GenSkeFeat', dataset='coco', feats=['j', 'b']))
    assert isinstance(t, GenSkeFeat) and "layout='coco'" in repr(t) and "['j', 'b']" in repr(t)
    for cfg in [
        dict(type='PreNormalize3D'),
        dict(type='PreNormalize2D'),
        dict(type='RandomRot', theta=0.2),
        dict(type='RandomScale', scale=0.1),
    ]:
        t = TRANSFORMS.build(cfg)
        assert repr(t).startswith(cfg['type'] + '(')
    assert 'theta=0.2' in repr(TRANSFORMS.build(dict(type='RandomRot', theta=0.2)))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        TRANSFORMS.build(dict(type='PreNormalize3D', zaxis=[0, 1], xaxis=[8, 4]))


@pytest.mark.parametrize(
    'img_shape', [None, (float('nan'), 1920), (1080, float('inf')), ('1080', '1920'), (True, True), (0, 1920), 1080]
)
def test_prenormalize2d_rejects_bad_img_shape(img_shape):
    """A malformed ``img_shape`` in a sample is a clear error naming the sample and the field, never a TypeError or
    keypoints silently turned to NaN."""
    kp = np.ones((1, 2, 4, 2), np.float32)
    with pytest.raises(ValueError, match=r"PreNormalize2D: sample \(frame_dir='bad'\): field 'img_shape'"):
        PreNormalize2D()(dict(keypoint=kp, img_shape=img_shape, frame_dir='bad'))
    with pytest.raises(ValueError, match='img_shape'):
        PreNormalize2D(img_shape=img_shape)


def test_prenormalize2d_accepts_numpy_img_shape():
    kp = np.array([[[[960, 540]]]], np.float32)
    for img_shape in (np.array([1080, 1920]), (np.int64(1080), np.float32(1920.0)), [1080, 1920]):
        out = PreNormalize2D()(dict(keypoint=kp.copy(), img_shape=img_shape))
        np.testing.assert_array_equal(out['keypoint'][0, 0, 0], [0, 0])

"""ProtoGCN's data side on hand-made skeletons: the K-bone features ``k`` / ``km`` of GenSkeFeat, the
``coco_new`` layout, and the transforms of pyskl/datasets/transforms/skeleton_aug.py (Spatial_Flip,
Part_Drop, Flip, Kinetics_Transform)."""

import numpy as np
import pytest

import pyskl.datasets.transforms  # noqa: F401  (registers the transforms)
from pyskl.datasets.transforms import GenSkeFeat
from pyskl.core.layout import get_layout
from pyskl.registry import TRANSFORMS

# a 5-joint toy: root 0 <- 1 <- 2 <- 3, and 4 <- 0
TOY = dict(name='toy', num_node=5, inward=[(1, 0), (2, 1), (3, 2), (4, 0)], center=0, flip_pairs=[(1, 4)])


def _toy_kp():
    """(M=1, T=3, V=5, C=3) with distinct, easily checked values: x = 10 v + t, y = v^2, z = t."""
    kp = np.zeros((1, 3, 5, 3), np.float32)
    for t in range(3):
        for v in range(5):
            kp[0, t, v] = (10 * v + t, v * v, t * t)
    return kp


def test_k_and_km_on_a_toy_skeleton():
    kp = _toy_kp()
    out = GenSkeFeat(layout=TOY, feats=['k', 'km'])(dict(keypoint=kp.copy()))['keypoint']
    assert out.shape == (1, 3, 5, 6) and out.dtype == np.float32
    k, km = out[..., :3], out[..., 3:]
    # grandparents: 0 (root) -> itself, 1 and 4 hang off the root -> themselves, 2 -> 0, 3 -> 1
    np.testing.assert_array_equal(k[..., [0, 1, 4], :], 0)
    np.testing.assert_array_equal(k[0, :, 2], kp[0, :, 2] - kp[0, :, 0])  # (20, 4, 0) every frame
    np.testing.assert_array_equal(k[0, 1, 2], [20, 4, 0])
    np.testing.assert_array_equal(k[0, :, 3], kp[0, :, 3] - kp[0, :, 1])  # (20, 8, 0)
    # km: frame difference of k, last frame 0 (k of the toy is constant in time)
    np.testing.assert_array_equal(km, 0)
    kp[0, 1, 3] += (1, 2, 3)  # move joint 3 in frame 1 only
    out = GenSkeFeat(layout=TOY, feats=['km', 'j'])(dict(keypoint=kp))['keypoint']
    np.testing.assert_array_equal(out[0, 0, 3, :3], [1, 2, 3])
    np.testing.assert_array_equal(out[0, 1, 3, :3], [-1, -2, -3])
    np.testing.assert_array_equal(out[0, 2, :, :3], 0)
    np.testing.assert_array_equal(out[..., 3:], kp)


def test_k_grandparents_are_protogcns():
    """The K-bone ends listed in ProtoGCN's code (0-based), derived from the layouts' bone parents."""
    ntu = {
        0: 20,
        3: 20,
        5: 20,
        9: 20,
        6: 4,
        7: 5,
        10: 8,
        11: 9,
        12: 1,
        16: 1,
        13: 0,
        17: 0,
        14: 12,
        15: 13,
        18: 16,
        19: 17,
        21: 7,
        22: 6,
        23: 11,
        24: 10,
    }
    assert get_layout('nturgb+d').grandparents == tuple(ntu.get(v, v) for v in range(25))
    coco_new = {
        1: 19,
        2: 19,
        7: 19,
        8: 19,
        17: 19,
        3: 0,
        4: 0,
        9: 5,
        10: 6,
        11: 18,
        12: 18,
        13: 17,
        14: 17,
        15: 11,
        16: 12,
    }
    assert get_layout('coco_new').grandparents == tuple(coco_new.get(v, v) for v in range(20))
    kp = np.random.default_rng(0).normal(size=(2, 3, 25, 3)).astype(np.float32)
    k = GenSkeFeat(feats=['k'])(dict(keypoint=kp))['keypoint']
    np.testing.assert_allclose(k[:, :, 21], kp[:, :, 21] - kp[:, :, 7], atol=1e-6)
    np.testing.assert_array_equal(k[:, :, [1, 2, 4, 8, 20]], 0)


def test_coco_new_layout_and_2d_scores():
    layout = get_layout('coco_new')
    assert (layout.num_node, layout.center, layout.stored_num_node) == (20, 19, 17)
    assert layout.parents == (19, 0, 0, 1, 2, 19, 19, 5, 6, 7, 8, 17, 17, 11, 12, 13, 14, 18, 19, 19)
    rng = np.random.default_rng(1)
    kp = rng.uniform(0, 100, size=(1, 3, 20, 3)).astype(np.float32)
    kp[..., 2] = rng.uniform(0, 1, size=(1, 3, 20))
    y = GenSkeFeat(layout='coco_new', feats=['b', 'k', 'jm', 'km'])(dict(keypoint=kp))['keypoint']
    # bone: the score is the mean of the two joints' scores
    np.testing.assert_allclose(y[0, 1, 7, 0:2], kp[0, 1, 7, :2] - kp[0, 1, 5, :2], atol=1e-5)
    np.testing.assert_allclose(y[0, 1, 7, 2], (kp[0, 1, 7, 2] + kp[0, 1, 5, 2]) / 2, atol=1e-6)
    # k: the score is differenced too
    np.testing.assert_allclose(y[0, 1, 9, 3:6], kp[0, 1, 9] - kp[0, 1, 5], atol=1e-5)
    # motion of coco_new differences the score as well (PYSKL's coco averages it)
    np.testing.assert_allclose(y[0, 0, :, 6:9], kp[0, 1] - kp[0, 0], atol=1e-5)
    np.testing.assert_allclose(y[0, 1, 9, 9:12], (kp[0, 2, 9] - kp[0, 2, 5]) - (kp[0, 1, 9] - kp[0, 1, 5]), atol=1e-4)
    np.testing.assert_array_equal(y[0, 2, :, 6:12], 0)


def test_kinetics_transform():
    rng = np.random.default_rng(2)
    kp = rng.uniform(0, 500, size=(2, 4, 17, 2)).astype(np.float32)
    score = rng.uniform(0, 1, size=(2, 4, 17)).astype(np.float32)
    saved = kp.copy()
    out = TRANSFORMS.build(dict(type='Kinetics_Transform'))(dict(keypoint=kp, keypoint_score=score))
    assert 'keypoint_score' not in out
    y = out['keypoint']
    assert y.shape == (2, 4, 20, 3) and y.dtype == np.float32
    full = np.concatenate([kp, score[..., None]], -1)
    np.testing.assert_array_equal(y[:, :, :17], full)
    np.testing.assert_allclose(y[:, :, 17], (full[:, :, 11] + full[:, :, 12]) / 2, atol=1e-4)
    np.testing.assert_allclose(y[:, :, 19], (full[:, :, 5] + full[:, :, 6]) / 2, atol=1e-4)
    np.testing.assert_allclose(y[:, :, 18], (y[:, :, 17] + y[:, :, 19]) / 2, atol=1e-4)
    np.testing.assert_array_equal(kp, saved)
    with pytest.raises(ValueError, match='Kinetics_Transform|KineticsTransform'):
        TRANSFORMS.build(dict(type='Kinetics_Transform'))(
            dict(keypoint=np.zeros((1, 2, 25, 3), np.float32), frame_dir='x')
        )


def _flip_once(kp, seed, p=1.0, layout='nturgb+d'):
    t = TRANSFORMS.build(dict(type='Spatial_Flip', dataset=layout, p=p))
    return t(dict(keypoint=kp, rng=np.random.default_rng(seed)))['keypoint']


def test_spatial_flip_swaps_the_layouts_pairs_and_twice_is_identity():
    kp = np.random.default_rng(0).normal(size=(2, 3, 25, 3)).astype(np.float32)
    saved = kp.copy()
    once = _flip_once(kp, 0)
    np.testing.assert_array_equal(kp, saved)  # input untouched
    perm = [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15, 20, 23, 24, 21, 22]  # ProtoGCN's
    np.testing.assert_array_equal(once, kp[:, :, perm])
    for left, right in get_layout('nturgb+d').flip_pairs:
        np.testing.assert_array_equal(once[:, :, left], kp[:, :, right])
        np.testing.assert_array_equal(once[:, :, right], kp[:, :, left])
    np.testing.assert_array_equal(_flip_once(once, 1), kp)
    # a user layout's flip_pairs; p=0 never flips
    toy = _toy_kp()
    np.testing.assert_array_equal(_flip_once(toy, 0, layout=TOY), toy[:, :, [0, 4, 2, 3, 1]])
    np.testing.assert_array_equal(_flip_once(toy, 0, p=0.0, layout=TOY), toy)
    with pytest.raises(ValueError, match='no flip_pairs'):
        TRANSFORMS.build(dict(type='Spatial_Flip', layout=dict(num_node=2, inward=[(1, 0)], center=0)))
    with pytest.raises(ValueError, match='joints'):
        _flip_once(np.zeros((1, 2, 17, 3), np.float32), 0)


def test_part_drop_zeroes_exactly_the_chosen_part():
    from pyskl.datasets.transforms.skeleton_aug import NTU_PARTS

    # derived from the NTU joint names; ProtoGCN's list: left arm + hand, left leg, right arm + hand, right leg
    assert NTU_PARTS == ((4, 5, 6, 7, 21, 22), (12, 13, 14, 15), (8, 9, 10, 11, 23, 24), (16, 17, 18, 19))
    kp = np.random.default_rng(0).uniform(1, 2, size=(2, 3, 25, 3)).astype(np.float32)
    drop = TRANSFORMS.build(dict(type='Part_Drop', p=1.0))
    seen = set()
    for seed in range(40):
        rng = np.random.default_rng(seed)
        out = drop(dict(keypoint=kp, rng=rng))['keypoint']
        zero = np.all(out == 0, axis=(0, 1, 3))
        part = tuple(np.flatnonzero(zero))
        assert part in [tuple(sorted(p)) for p in NTU_PARTS]
        np.testing.assert_array_equal(out[:, :, ~zero], kp[:, :, ~zero])
        # the draw: rng.random() (< p), then rng.integers(4)
        replay = np.random.default_rng(seed)
        replay.random()
        assert part == tuple(sorted(NTU_PARTS[int(replay.integers(4))]))
        seen.add(part)
    assert len(seen) == 4
    assert np.all(kp >= 1)  # input untouched
    kept = TRANSFORMS.build(dict(type='Part_Drop', p=0.0))(dict(keypoint=kp, rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(kept['keypoint'], kp)
    with pytest.raises(ValueError, match='p must be'):
        TRANSFORMS.build(dict(type='Part_Drop', p=1.5))
    with pytest.raises(ValueError, match='joint 24'):
        drop(dict(keypoint=np.ones((1, 2, 17, 3), np.float32), rng=np.random.default_rng(0)))


def test_draws_depend_only_on_the_rng():
    kp = np.random.default_rng(0).normal(size=(2, 3, 25, 3)).astype(np.float32)
    pipe = [TRANSFORMS.build(dict(type='Spatial_Flip', p=0.5)), TRANSFORMS.build(dict(type='Part_Drop', p=0.5))]

    def run(seed, global_seed=None):
        if global_seed is not None:
            np.random.seed(global_seed)  # the global RNG must not matter
        r = dict(keypoint=kp, rng=np.random.default_rng(seed))
        for t in pipe:
            r = t(r)
        return r['keypoint']

    outs = [run(s, global_seed=s) for s in range(12)]
    for s in range(12):
        np.testing.assert_array_equal(run(s, global_seed=s + 100), outs[s])
    assert len({o.tobytes() for o in outs}) > 2  # the seed does change the draws
    state = np.random.get_state()
    run(0)
    assert np.array_equal(np.random.get_state()[1], state[1])
    with pytest.raises(ValueError, match="'rng'"):
        pipe[0](dict(keypoint=kp))


def test_flip_2d_mirrors_pixels_and_swaps_sides():
    rng = np.random.default_rng(3)
    kp = rng.uniform(0, 1920, size=(1, 2, 17, 2)).astype(np.float32)
    score = rng.uniform(0, 1, size=(1, 2, 17)).astype(np.float32)
    flip = TRANSFORMS.build(
        dict(type='Flip', flip_ratio=1.0, left_kp=[1, 3, 5, 7, 9, 11, 13, 15], right_kp=[2, 4, 6, 8, 10, 12, 14, 16])
    )
    out = flip(dict(keypoint=kp, keypoint_score=score, img_shape=(1080, 1920), rng=np.random.default_rng(0)))
    assert out['flip'] is True
    np.testing.assert_allclose(out['keypoint'][0, :, 5, 0], 1920 - kp[0, :, 6, 0], atol=1e-3)
    np.testing.assert_array_equal(out['keypoint'][0, :, 0, 1], kp[0, :, 0, 1])
    np.testing.assert_array_equal(out['keypoint_score'][0, :, 3], score[0, :, 4])
    again = flip(dict(out, rng=np.random.default_rng(1)))
    np.testing.assert_allclose(again['keypoint'], kp, atol=1e-3)
    np.testing.assert_array_equal(again['keypoint_score'], score)


def _ntu_raising_left_hand():
    """A known 3D sample (NTU camera space, metres; x horizontal, y up, z depth): a person facing the camera
    with the left arm raised above the head. (M=1, T=2, 25, 3); the second frame moves 0.1 m to +x."""
    layout = get_layout('nturgb+d')
    pos = {
        'spine_base': (0, 0, 3),
        'spine_mid': (0, 0.25, 3),
        'spine_shoulder': (0, 0.5, 3),
        'neck': (0, 0.57, 3),
        'head': (0, 0.7, 3),
    }
    # facing the camera, the subject's left is the camera's +x
    arm = dict(
        shoulder=(0.17, 0.46, 3),
        elbow=(0.2, 0.75, 3),
        wrist=(0.2, 1.0, 3),
        hand=(0.2, 1.07, 3),
        hand_tip=(0.2, 1.14, 3),
        thumb=(0.17, 1.08, 2.96),
    )
    low_arm = dict(
        shoulder=(0.17, 0.46, 3),
        elbow=(0.19, 0.19, 3),
        wrist=(0.19, -0.06, 3),
        hand=(0.19, -0.13, 3),
        hand_tip=(0.19, -0.2, 3),
        thumb=(0.16, -0.12, 2.96),
    )
    leg = dict(hip=(0.09, -0.04, 3), knee=(0.09, -0.46, 3), ankle=(0.09, -0.86, 3), foot=(0.09, -0.92, 2.88))
    for part, (x, y, z) in {**arm, **leg}.items():
        pos[f'left_{part}'] = (x, y, z)
    for part, (x, y, z) in {**low_arm, **leg}.items():
        pos[f'right_{part}'] = (-x, y, z)
    kp = np.array([pos[n] for n in layout.joint_names], np.float32)[None, None].repeat(2, axis=1)
    kp[0, 1, :, 0] += 0.1
    return kp


def test_flip_3d_ntu_raises_the_other_hand():
    names = get_layout('nturgb+d').joint_names
    j = {n: i for i, n in enumerate(names)}
    kp = _ntu_raising_left_hand()
    saved = kp.copy()
    flip = TRANSFORMS.build(dict(type='Flip', flip_ratio=1.0, layout='nturgb+d'))
    assert flip.mirror == 'origin'  # 3D: x -> -x
    out = flip(dict(keypoint=kp, rng=np.random.default_rng(0)))
    y = out['keypoint']
    assert out['flip'] is True and y.dtype == np.float32 and y.shape == kp.shape
    np.testing.assert_array_equal(kp, saved)  # input untouched
    # the raised hand is now the right one, mirrored: same height and depth, x negated
    assert y[0, 0, j['right_wrist'], 1] == kp[0, 0, j['left_wrist'], 1] == np.float32(1.0)
    assert y[0, 0, j['left_wrist'], 1] < 0
    for part in ('shoulder', 'elbow', 'wrist', 'hand', 'hand_tip', 'thumb', 'hip', 'knee', 'ankle', 'foot'):
        for a, b in (('left_', 'right_'), ('right_', 'left_')):
            np.testing.assert_array_equal(y[..., j[a + part], 0], -kp[..., j[b + part], 0])
            np.testing.assert_array_equal(y[..., j[a + part], 1:], kp[..., j[b + part], 1:])
    # the midline stays in place, mirrored (the +0.1 m step of frame 1 becomes -0.1 m)
    np.testing.assert_array_equal(y[0, :, j['head'], 0], np.float32([0.0, -0.1]))
    np.testing.assert_array_equal(y[0, :, j['spine_base'], 1:], kp[0, :, j['spine_base'], 1:])
    # flipping twice is the identity, bit for bit
    again = flip(dict(keypoint=y, rng=np.random.default_rng(1)))['keypoint']
    np.testing.assert_array_equal(again, kp)
    # Spatial_Flip (ProtoGCN) swaps the same joints but does not mirror
    swapped = _flip_once(kp, 0)
    np.testing.assert_array_equal(swapped[..., 1:], y[..., 1:])
    np.testing.assert_array_equal(swapped[..., 0], -y[..., 0])


def _coco_known_sample():
    """A COCO-17 person in a 640x480 image, facing the camera (their left on the image's right), left wrist
    raised; the right ankle is missing (0, 0) with score 0. (M=1, T=1, 17, 2) pixels, scores (1, 1, 17)."""
    xy = {
        'nose': (320, 100),
        'eye': (330, 90),
        'ear': (345, 95),
        'shoulder': (360, 160),
        'elbow': (380, 120),
        'wrist': (385, 70),
        'hip': (345, 280),
        'knee': (345, 360),
        'ankle': (345, 440),
    }
    pts, scores = [], []
    for n in get_layout('coco').joint_names:
        side, _, part = n.partition('_')
        x, y = xy[part] if part else xy[n]
        if side == 'right':
            x = 640 - x
            y = {'elbow': 220, 'wrist': 260}.get(part, y)  # the right arm hangs down
        pts.append((x, y))
        scores.append(0.9)
    kp = np.array(pts, np.float32)[None, None]
    score = np.array(scores, np.float32)[None, None]
    ankle = get_layout('coco').joint_names.index('right_ankle')
    kp[0, 0, ankle] = 0
    score[0, 0, ankle] = 0
    return kp, score


def test_flip_2d_coco_known_sample_takes_pairs_from_the_layout():
    names = get_layout('coco').joint_names
    j = {n: i for i, n in enumerate(names)}
    kp, score = _coco_known_sample()
    flip = TRANSFORMS.build(dict(type='Flip', flip_ratio=1.0))  # layout 'coco' by default
    assert flip.mirror == 'image' and flip.left_kp == (1, 3, 5, 7, 9, 11, 13, 15)
    out = flip(dict(keypoint=kp, keypoint_score=score, img_shape=(480, 640), rng=np.random.default_rng(0)))
    y, s = out['keypoint'], out['keypoint_score']
    # the raised wrist is now the right one, at the mirrored pixel: x -> 640 - x
    np.testing.assert_array_equal(y[0, 0, j['right_wrist']], [640 - 385, 70])
    np.testing.assert_array_equal(y[0, 0, j['left_wrist']], [385, 260])
    np.testing.assert_array_equal(y[0, 0, j['nose']], [320, 100])
    # the missing right ankle became the missing LEFT ankle and stays at (0, 0) (PYSKL mirrors only x != 0)
    np.testing.assert_array_equal(y[0, 0, j['left_ankle']], [0, 0])
    assert s[0, 0, j['left_ankle']] == 0 and s[0, 0, j['right_ankle']] == np.float32(0.9)
    np.testing.assert_array_equal(y[0, 0, j['right_ankle']], [640 - 345, 440])
    again = flip(dict(out, rng=np.random.default_rng(1)))
    np.testing.assert_array_equal(again['keypoint'], kp)
    np.testing.assert_array_equal(again['keypoint_score'], score)
    # PYSKL's explicit left_kp / right_kp give the same flip
    explicit = TRANSFORMS.build(
        dict(type='Flip', flip_ratio=1.0, left_kp=list(range(1, 17, 2)), right_kp=list(range(2, 17, 2)))
    )
    same = explicit(dict(keypoint=kp, keypoint_score=score, img_shape=(480, 640), rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(same['keypoint'], y)


def test_flip_merged_score_channel_and_other_layouts():
    kp, score = _coco_known_sample()
    merged = np.concatenate([kp, score[..., None]], -1)  # (x, y, score): only x is mirrored
    flip = TRANSFORMS.build(dict(type='Flip', flip_ratio=1.0, layout='coco'))
    y = flip(dict(keypoint=merged, img_shape=(480, 640), rng=np.random.default_rng(0)))['keypoint']
    index = get_layout('coco').flip_index
    np.testing.assert_array_equal(y[..., 1:], merged[:, :, index, 1:])
    # openpose: its own pairs (right side numbered first)
    op = TRANSFORMS.build(dict(type='Flip', flip_ratio=1.0, layout='openpose'))
    kp18 = np.random.default_rng(0).uniform(1, 600, size=(1, 2, 18, 2)).astype(np.float32)
    y = op(dict(keypoint=kp18, img_shape=(480, 640), rng=np.random.default_rng(0)))['keypoint']
    np.testing.assert_allclose(y[:, :, 2, 0], 640 - kp18[:, :, 5, 0])  # right shoulder <- left shoulder
    # a user layout's pairs, mirror chosen explicitly; never flips at flip_ratio 0
    toy_flip = TRANSFORMS.build(dict(type='Flip', flip_ratio=1.0, layout=TOY, mirror='origin'))
    toy = _toy_kp()
    y = toy_flip(dict(keypoint=toy, rng=np.random.default_rng(0)))['keypoint']
    np.testing.assert_array_equal(y[..., 1:], toy[:, :, [0, 4, 2, 3, 1], 1:])
    np.testing.assert_array_equal(y[..., 0], 0 - toy[:, :, [0, 4, 2, 3, 1], 0])
    never = TRANSFORMS.build(dict(type='Flip', flip_ratio=0.0, layout='nturgb+d'))
    out = never(dict(keypoint=_ntu_raising_left_hand(), rng=np.random.default_rng(0)))
    assert out['flip'] is False
    np.testing.assert_array_equal(out['keypoint'], _ntu_raising_left_hand())


def test_flip_errors():
    with pytest.raises(ValueError, match='both left_kp and right_kp'):
        TRANSFORMS.build(dict(type='Flip', left_kp=[1]))
    with pytest.raises(ValueError, match='no flip_pairs'):
        TRANSFORMS.build(dict(type='Flip', layout=dict(num_node=2, inward=[(1, 0)], center=0)))
    with pytest.raises(ValueError, match='mirror'):
        TRANSFORMS.build(dict(type='Flip', mirror='vertical'))
    with pytest.raises(ValueError, match='disagree'):
        TRANSFORMS.build(dict(type='Flip', dataset='coco', layout='openpose'))
    with pytest.raises(ValueError, match='distinct'):
        TRANSFORMS.build(dict(type='Flip', left_kp=[1, 2], right_kp=[2, 3]))
    flip = TRANSFORMS.build(dict(type='Flip', flip_ratio=1.0))
    with pytest.raises(ValueError, match="25 joints but layout 'coco' has 17"):
        flip(dict(keypoint=np.ones((1, 2, 25, 2), np.float32), rng=np.random.default_rng(0), frame_dir='x'))
    with pytest.raises(ValueError, match='img_shape'):
        flip(dict(keypoint=np.ones((1, 2, 17, 2), np.float32), rng=np.random.default_rng(0), frame_dir='x'))
    for bad in ((float('nan'), 640), ('480', '640'), (480, 0), 640):  # a clear error, not a TypeError or NaN keypoints
        with pytest.raises(ValueError, match=r"Flip: sample \(frame_dir='x'\): .*'img_shape'"):
            flip(
                dict(
                    keypoint=np.ones((1, 2, 17, 2), np.float32),
                    img_shape=bad,
                    rng=np.random.default_rng(0),
                    frame_dir='x',
                )
            )

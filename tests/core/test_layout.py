"""The layout definition (pyskl/core/layout.py): joint names, flip pairs, score flags, the joint-count table and
the name-based joint maps every other layout fact derives from."""

import numpy as np
import pytest

from pyskl.core.layout import LAYOUTS, Layout, get_layout, guess_layout, joint_index, joint_map

NAMED = ('nturgb+d', 'coco', 'openpose', 'coco_new', 'mediapipe')


def test_every_named_layout_names_its_joints():
    for name in NAMED:
        lay = get_layout(name)
        assert lay.joint_names is not None, name
        assert len(lay.joint_names) == lay.num_node == len(set(lay.joint_names)), name
        assert all(n == n.lower() and ' ' not in n for n in lay.joint_names), name


def test_ntu_and_coco_joint_names_follow_the_datasets_order():
    ntu = get_layout('nturgb+d').joint_names
    # NTU RGB+D's list (1-based in the paper): 1 base of the spine, 3 neck, 4 head, 5 left shoulder,
    # 9 right shoulder, 13 left hip, 17 right hip, 21 spine at the shoulders, 22 tip of the left hand,
    # 23 left thumb, 24 tip of the right hand, 25 right thumb
    assert [ntu[i - 1] for i in (1, 2, 3, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 22, 23, 24, 25)] == [
        'spine_base',
        'spine_mid',
        'neck',
        'head',
        'left_shoulder',
        'left_hand',
        'right_shoulder',
        'right_hand',
        'left_hip',
        'left_foot',
        'right_hip',
        'right_foot',
        'spine_shoulder',
        'left_hand_tip',
        'left_thumb',
        'right_hand_tip',
        'right_thumb',
    ]
    assert get_layout('coco').joint_names == (
        'nose',
        'left_eye',
        'right_eye',
        'left_ear',
        'right_ear',
        'left_shoulder',
        'right_shoulder',
        'left_elbow',
        'right_elbow',
        'left_wrist',
        'right_wrist',
        'left_hip',
        'right_hip',
        'left_knee',
        'right_knee',
        'left_ankle',
        'right_ankle',
    )
    # the graph agrees with the names: the centre of NTU is the spine at the shoulders, COCO's the nose
    assert ntu[get_layout('nturgb+d').center] == 'spine_shoulder'
    assert get_layout('openpose').joint_names[get_layout('openpose').center] == 'neck'
    assert get_layout('coco_new').joint_names[17:] == ('mid_hip', 'mid_spine', 'mid_shoulder')
    assert get_layout('coco_new').joint_names[:17] == get_layout('coco').joint_names


@pytest.mark.parametrize('name', NAMED)
def test_flip_pairs_are_the_left_right_joints_of_the_names(name):
    """Every pair is (left_x, right_x), and every joint with a left_x / right_x twin is in a pair."""
    lay = get_layout(name)
    names = lay.joint_names
    pairs = set()
    for left, right in lay.flip_pairs:
        assert names[left].startswith('left_'), (name, names[left], names[right])
        assert names[right] == 'right_' + names[left][len('left_') :], (name, names[left], names[right])
        pairs.add((left, right))
    twins = {
        (i, names.index('right_' + n[5:]))
        for i, n in enumerate(names)
        if n.startswith('left_') and 'right_' + n[5:] in names
    }
    assert pairs == twins
    # every joint named neither left nor right lies on the midline: the flip keeps it
    idx = lay.flip_index
    np.testing.assert_array_equal(idx[idx], np.arange(lay.num_node))  # an involution
    for v, n in enumerate(names):
        if not n.startswith(('left_', 'right_')):
            assert idx[v] == v, (name, n)


def test_score_flags_replace_the_score_layout_lists():
    """coco, openpose, coco_new (and mediapipe) carry a score; only coco_new differences it in motions."""
    assert {n for n, lay in LAYOUTS.items() if lay.scores} == {'coco', 'openpose', 'coco_new', 'mediapipe'}
    assert {n for n, lay in LAYOUTS.items() if lay.score_motion == 'diff'} == {'coco_new'}
    assert not get_layout('nturgb+d').scores
    toy = dict(num_node=2, inward=[(1, 0)], center=0)
    assert not get_layout(toy).scores and get_layout(toy).score_motion == 'mean'
    assert get_layout(dict(toy, scores=True, score_motion='diff')).score_motion == 'diff'


def test_joint_map_by_name():
    assert joint_map('mediapipe', 'coco') == (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
    assert joint_map('coco', 'coco') == tuple(range(17))
    assert joint_map('coco_new', 'coco') == tuple(range(17))
    # OpenPose -> COCO: the 17 COCO joints among OpenPose's 18 (all but the neck)
    op = get_layout('openpose').joint_names
    assert [op[i] for i in joint_map('openpose', 'coco')] == list(get_layout('coco').joint_names)
    with pytest.raises(ValueError, match="'coco' has no joint named .*'spine_base'"):
        joint_map('coco', 'nturgb+d')
    with pytest.raises(ValueError, match="'toy' has no joint_names"):
        joint_map(dict(name='toy', num_node=2, inward=[(1, 0)], center=0), 'coco')
    assert joint_index('coco', 'left_hip', 'right_hip') == (11, 12)
    with pytest.raises(ValueError, match="no joint named \\['left_tail'\\]"):
        joint_index('coco', 'left_tail')


def test_joint_count_table_is_derived():
    assert guess_layout(25) == 'nturgb+d'
    assert guess_layout(17) == 'coco'
    assert guess_layout(18) == 'openpose'
    assert guess_layout(33) == 'mediapipe'
    with pytest.raises(ValueError, match='20 joints'):  # coco_new is stored as coco
        guess_layout(20)


def test_mediapipe_layout_is_a_tree_rooted_at_its_centre():
    lay = get_layout('mediapipe')
    assert len(lay.inward) == lay.num_node - 1
    for v in range(lay.num_node):
        seen = {v}
        while v != lay.center:
            v = lay.parents[v]
            assert v not in seen
            seen.add(v)


def test_user_layout_dict_and_bone_pairs():
    toy = dict(
        name='toy',
        num_node=5,
        inward=[(1, 0), (2, 1), (3, 0), (4, 3)],
        center=0,
        joint_names=['root', 'left_a', 'left_b', 'right_a', 'right_b'],
        flip_pairs=[(1, 3), (2, 4)],
    )
    lay = get_layout(toy)
    assert lay.bone_pairs == ((0, 0), (1, 0), (2, 1), (3, 0), (4, 3))
    assert lay.joint_names == ('root', 'left_a', 'left_b', 'right_a', 'right_b')
    assert lay.flip_index.tolist() == [0, 3, 4, 1, 2]
    assert get_layout(lay) is lay


@pytest.mark.parametrize(
    'bad,match',
    [
        (dict(joint_names=['a', 'b']), '3 unique names'),
        (dict(joint_names=['a', 'b', 'a']), '3 unique names'),
        (dict(flip_pairs=[(1, 3)]), 'flip pair'),
        (dict(flip_pairs=[(1, 1)]), 'flip pair'),
        (dict(flip_pairs=[(1, 2), (2, 0)]), 'more than one flip pair'),
        (dict(score_motion='sum'), 'score_motion'),
        # a hostile JSON layout: 1e9 joints allocated V x V adjacencies until the process was killed
        (dict(num_node=10**9), r'num_node must be an int in 1\.\.4096, got 1000000000'),
        (dict(num_node=0, inward=[], center=0), 'num_node must be an int'),
        (dict(num_node=3.7), r'num_node must be an int in 1\.\.4096, got 3\.7'),  # was silently 3
        (dict(num_node='3'), 'num_node must be an int'),
        (dict(center=0.5), 'must be joint indices'),
        (dict(inward=[(1, 0, 2)]), 'must be joint indices'),
        (dict(inward=None), "user-defined layout 'bad'"),
        (dict(bone_parents=[0, 0, 7]), r'bone_parents must be joints in 0\.\.2'),
    ],
)
def test_bad_layout_definitions(bad, match):
    with pytest.raises(ValueError, match=match):
        get_layout(dict(dict(name='bad', num_node=3, inward=[(1, 0), (2, 0)], center=0), **bad))


def test_bad_layout_lookups():
    with pytest.raises(KeyError, match='unknown skeleton layout'):
        get_layout('kinect99')
    with pytest.raises(KeyError, match='missing'):
        get_layout(dict(num_node=3))
    with pytest.raises(TypeError, match='name, a dict or a Layout'):
        get_layout(17)
    with pytest.raises(ValueError, match='edge'):
        Layout(name='x', num_node=2, inward=((2, 0),), center=0)


def test_stored_layout_is_what_the_files_hold():
    """'coco_new' samples are stored as COCO-17 (Kinetics_Transform derives the three extra joints); other layouts
    are stored as themselves."""
    coco_new = get_layout('coco_new')
    assert coco_new.num_node == 20 and coco_new.stored.name == 'coco' and coco_new.stored_num_node == 17
    for name in ('coco', 'nturgb+d', 'openpose'):
        assert (
            get_layout(name).stored is get_layout(name)
            and get_layout(name).stored_num_node == get_layout(name).num_node
        )

"""Tests of pyskl/datasets/transforms/formatting.py."""

import numpy as np
import pytest
import torch

import pyskl.datasets.transforms  # noqa: F401  (registers the transforms)
from pyskl.datasets.transforms import FormatGCNInput, PackSkeletonInputs, PadTo
from pyskl.registry import TRANSFORMS


def test_format_gcn_input_pads_reshapes_and_merges_score():
    kp = np.arange(1 * 6 * 2 * 2, dtype=np.float64).reshape(1, 6, 2, 2)
    score = np.full((1, 6, 2), 0.5)
    out = FormatGCNInput(num_person=2)(dict(keypoint=kp, keypoint_score=score, num_clips=3))
    y = out['keypoint']
    assert y.shape == (3, 2, 2, 2, 3) and y.dtype == np.float32 and y.flags.c_contiguous
    assert 'keypoint_score' not in out
    for c in range(3):
        np.testing.assert_array_equal(y[c, 0, ..., :2], kp[0, 2 * c : 2 * c + 2])
        np.testing.assert_array_equal(y[c, 0, ..., 2], 0.5)
    np.testing.assert_array_equal(y[:, 1], 0)


def test_format_gcn_input_loop_and_truncate():
    kp = np.random.default_rng(0).normal(size=(1, 4, 3, 3)).astype(np.float32)
    y = FormatGCNInput(num_person=3, mode='loop')(dict(keypoint=kp))['keypoint']
    assert y.shape == (1, 3, 4, 3, 3)
    for m in range(3):
        np.testing.assert_array_equal(y[0, m], kp[0])
    kp3 = np.random.default_rng(1).normal(size=(3, 4, 3, 3)).astype(np.float32)
    y = FormatGCNInput(num_person=2)(dict(keypoint=kp3))['keypoint']
    np.testing.assert_array_equal(y[0], kp3[:2])
    assert not np.shares_memory(y, kp3)
    with pytest.raises(ValueError, match=r"frame_dir='v'.*not divisible into num_clips=3"):
        FormatGCNInput()(dict(keypoint=kp, num_clips=3, frame_dir='v'))
    with pytest.raises(ValueError, match='mode'):
        FormatGCNInput(mode='repeat')


def test_pad_to():
    kp = np.arange(1 * 3 * 2 * 2, dtype=np.float32).reshape(1, 3, 2, 2)
    score = np.arange(1 * 3 * 2, dtype=np.float32).reshape(1, 3, 2)
    out = PadTo(7)(dict(keypoint=kp, keypoint_score=score, total_frames=3))
    np.testing.assert_array_equal(out['keypoint'], kp[:, [0, 1, 2, 0, 1, 2, 0]])
    np.testing.assert_array_equal(out['keypoint_score'], score[:, [0, 1, 2, 0, 1, 2, 0]])
    assert out['total_frames'] == 7
    out = PadTo(5, mode='zero')(dict(keypoint=kp, keypoint_score=score, total_frames=3))
    np.testing.assert_array_equal(out['keypoint'][:, :3], kp)
    np.testing.assert_array_equal(out['keypoint'][:, 3:], 0)
    np.testing.assert_array_equal(out['keypoint_score'][:, 3:], 0)
    with pytest.raises(ValueError, match='needs 1 to 2'):
        PadTo(2)(dict(keypoint=kp, total_frames=3))
    assert repr(PadTo(5, mode='zero')) == "PadTo(length=5, mode='zero')"


def test_pack_skeleton_inputs():
    kp = np.ones((2, 2, 4, 5, 3), dtype=np.float32)
    results = dict(
        keypoint=kp, label=np.int64(7), sample_idx=4, frame_dir='S001C001P001R001A008', body_center=np.zeros(3)
    )
    packed = TRANSFORMS.build(dict(type='PackSkeletonInputs', keys=['body_center']))(results)
    assert set(packed) == {'inputs', 'data_samples'}
    x = packed['inputs']
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.shape == (2, 2, 4, 5, 3)
    ds = packed['data_samples']
    assert ds['gt_label'] == 7 and type(ds['gt_label']) is int
    assert ds['sample_idx'] == 4 and ds['frame_dir'] == 'S001C001P001R001A008'
    np.testing.assert_array_equal(ds['body_center'], 0)
    x[:] = 5  # the tensor does not share memory with the results
    assert kp.max() == 1
    # 4-D keypoint gets a clip axis; inference without label
    packed = PackSkeletonInputs()(dict(keypoint=np.zeros((2, 4, 5, 3), np.float64)))
    assert packed['inputs'].shape == (1, 2, 4, 5, 3) and packed['inputs'].dtype == torch.float32
    assert packed['data_samples'] == dict(gt_label=-1, sample_idx=-1, frame_dir='')
    with pytest.raises(ValueError, match=r"'keypoint' must be"):
        PackSkeletonInputs()(dict(keypoint=np.zeros((4, 5, 3)), label=0))
    with pytest.raises(ValueError, match="missing field 'body_center'"):
        PackSkeletonInputs(keys=['body_center'])(dict(keypoint=kp, label=0))
    assert repr(PackSkeletonInputs()) == 'PackSkeletonInputs(keys=None)'

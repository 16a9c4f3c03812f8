"""The NTU-3D and HRNet-2D pipelines of the model zoo, end to end on synthetic annotations."""

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose

import pyskl.datasets.transforms  # noqa: F401  (registers the transforms)
from pyskl.registry import TRANSFORMS


def _ntu_annotation(M, T, seed):
    """An NTU-3D-like annotation: M persons, T frames, some leading / trailing empty frames."""
    rng = np.random.default_rng(seed)
    kp = (rng.normal(scale=0.3, size=(M, T, 25, 3)) + [0, 0, 3]).astype(np.float32)
    kp[:, :2] = 0
    if M == 2:
        kp[1, T // 2 :] = 0
    return dict(
        frame_dir=f'S001C001P001R001A{seed:03d}',
        label=seed % 60,
        total_frames=T,
        keypoint=kp,
        img_shape=(1080, 1920),
        original_shape=(1080, 1920),
    )


def _hrnet_annotation(M, T, seed):
    rng = np.random.default_rng(seed)
    kp = rng.uniform([0, 0], [1920, 1080], size=(M, T, 17, 2)).astype(np.float32)
    score = rng.uniform(size=(M, T, 17)).astype(np.float32)
    return dict(
        frame_dir=f'clip{seed}',
        label=seed % 60,
        total_frames=T,
        keypoint=kp,
        keypoint_score=score,
        img_shape=(1080, 1920),
        original_shape=(1080, 1920),
    )


def _run(pipeline_cfg, ann, test_mode, idx):
    pipeline = Compose([TRANSFORMS.build(cfg) for cfg in pipeline_cfg])
    results = dict(
        ann, test_mode=test_mode, rng=np.random.default_rng([0, 0, idx]), sample_idx=idx, modality='Pose', start_index=0
    )
    return pipeline(results)


def _ntu_pipeline(num_clips, feats=('j',)):
    return [
        dict(type='PreNormalize3D'),
        dict(type='GenSkeFeat', dataset='nturgb+d', feats=list(feats)),
        dict(type='UniformSample', clip_len=100, num_clips=num_clips),
        dict(type='PoseDecode'),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ]


@pytest.mark.parametrize('M,T', [(1, 60), (2, 150), (2, 320)])
def test_ntu3d_train_and_test_pipelines(M, T):
    ann = _ntu_annotation(M, T, seed=T)
    keep = ann['keypoint'].copy()
    train = _run(_ntu_pipeline(1), ann, test_mode=False, idx=3)
    assert train['inputs'].shape == (1, 2, 100, 25, 3) and train['inputs'].dtype == torch.float32
    assert train['data_samples'] == dict(gt_label=T % 60, sample_idx=3, frame_dir=ann['frame_dir'])
    assert torch.isfinite(train['inputs']).all()
    assert train['inputs'][0, 0].abs().sum() > 0
    if M == 1:
        assert train['inputs'][0, 1].abs().sum() == 0  # the padded person
    test = _run(_ntu_pipeline(10), ann, test_mode=True, idx=3)
    assert test['inputs'].shape == (10, 2, 100, 25, 3)
    # test mode is deterministic, whatever the rng
    again = _run(_ntu_pipeline(10), dict(ann), test_mode=True, idx=99)
    assert torch.equal(test['inputs'], again['inputs'])
    np.testing.assert_array_equal(ann['keypoint'], keep)
    # the bone modality has the same shape
    bone = _run(_ntu_pipeline(1, feats=['b']), ann, test_mode=False, idx=3)
    assert bone['inputs'].shape == (1, 2, 100, 25, 3)


def test_ntu3d_train_augmentations_and_decode_pipeline():
    ann = _ntu_annotation(2, 90, seed=5)
    cfg = [
        dict(type='PreNormalize3D'),
        dict(type='RandomScale', scale=0.1),
        dict(type='RandomRot'),
        dict(type='GenSkeFeat', dataset='nturgb+d', feats=['jm']),
        dict(type='UniformSampleDecode', clip_len=100, p_interval=(0.5, 1)),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ]
    out = _run(cfg, ann, test_mode=False, idx=0)
    assert out['inputs'].shape == (1, 2, 100, 25, 3)
    same = _run(cfg, ann, test_mode=False, idx=0)
    other = _run(cfg, ann, test_mode=False, idx=1)
    assert torch.equal(out['inputs'], same['inputs']) and not torch.equal(out['inputs'], other['inputs'])


@pytest.mark.parametrize('feats,channels', [(['j'], 3), (['j', 'b'], 6), (['b', 'jm', 'bm'], 9)])
def test_hrnet2d_pipeline(feats, channels):
    ann = _hrnet_annotation(M=3, T=40, seed=1)
    cfg = [
        dict(type='PreNormalize2D'),
        dict(type='GenSkeFeat', layout='coco', feats=feats),
        dict(type='UniformSampleFrames', clip_len=100, num_clips=2),
        dict(type='PoseDecode'),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ]
    out = _run(cfg, ann, test_mode=True, idx=0)
    assert out['inputs'].shape == (2, 2, 100, 17, channels)
    x = out['inputs']
    assert x[..., :2].abs().max() <= 2  # normalised coordinates
    if feats == ['j']:
        # the score channel is the keypoint_score of the sampled frames
        assert ((x[..., 2] >= 0) & (x[..., 2] <= 1)).all()


def test_format_gcn_input_bounds_the_persons():
    # num_person=10**8 from a checkpoint's stored config asked for 8 TiB per clip
    from pyskl.datasets.transforms import FormatGCNInput

    with pytest.raises(ValueError, match=r'num_person must be an integer in 1\.\.1000, got 100000000'):
        FormatGCNInput(num_person=10**8)
    assert FormatGCNInput(num_person=1000).num_person == 1000


def test_samplers_bound_clip_length_and_clip_count():
    from pyskl.datasets.transforms import UniformSampleFrames

    with pytest.raises(ValueError, match='clip_len must be at most 100000 and num_clips at most 1000'):
        UniformSampleFrames(clip_len=100, num_clips=10**4)
    with pytest.raises(ValueError, match='clip_len must be at most 100000'):
        UniformSampleFrames(clip_len=10**6)
    assert UniformSampleFrames(clip_len=100_000, num_clips=1000).num_clips == 1000

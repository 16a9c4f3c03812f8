"""Video skeleton extraction. The MediaPipe tests need the `pose` extra; CI runs them in .venv-pose."""

import importlib.util
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from pyskl.datasets import PoseDataset
from pyskl.core.io import safe_load_pickle
from pyskl.datasets.pose_extraction import (
    MEDIAPIPE_TO_COCO,
    PoseEstimator,
    VideoFrames,
    build_pose_estimator,
    extract_video,
    make_annotation_file,
    read_video_list,
)
from pyskl.core.layout import get_layout
from repo_paths import REPO, VIDEO

HAS_MEDIAPIPE = importlib.util.find_spec('mediapipe') is not None
needs_mediapipe = pytest.mark.skipif(
    not HAS_MEDIAPIPE,
    reason="SKIPPED: the 'pose' extra (mediapipe) is not installed in this environment; "
    'CI runs these tests in .venv-pose (bash tools/setup_env.sh tests,pose)',
)


class BrightSpots(PoseEstimator):
    """A real, deterministic estimator for the interface tests: person p of frame t is 17 joints at
    ``(10 * v + p, t)``; frame t holds ``t % 3`` persons."""

    layout = 'coco'
    max_persons = 2

    def __init__(self):
        self.calls = 0
        self.resets = 0

    def reset(self):
        self.resets += 1
        self.calls = 0

    def __call__(self, frame):
        t = self.calls
        self.calls += 1
        n = t % 3
        kp = np.array([[[10 * v + p, t] for v in range(17)] for p in range(n)], np.float32).reshape(n, 17, 2)
        return kp, np.full((n, 17), 0.5, np.float32)


def test_video_frames():
    video = VideoFrames(VIDEO)
    assert len(video) == 72 and video.shape == (1080, 1920) and video.fps == pytest.approx(30.0)
    small = list(VideoFrames(VIDEO, size=(54, 96)))
    assert len(small) == 72 and small[0].shape == (54, 96, 3) and small[0].dtype == np.uint8
    with pytest.raises(ValueError, match='nowhere.avi'):
        VideoFrames('/nowhere.avi')


def test_extract_video_packs_persons():
    est = BrightSpots()
    ann = extract_video(VIDEO, est)
    assert ann['keypoint'].shape == (2, 72, 17, 2) and ann['keypoint_score'].shape == (2, 72, 17)
    assert ann['num_detected'] == sum(t % 3 > 0 for t in range(72)) and est.resets == 2
    # tracked: each row holds one person (x offset p) in every frame where it appears, whatever the order
    offsets = [set(np.unique(ann['keypoint'][m, :, :, 0][ann['keypoint_score'][m] > 0] % 10)) for m in range(2)]
    assert sorted(offsets, key=min) == [{0.0}, {1.0}] and ann['num_tracks'] == 2
    assert ann['keypoint_score'][:, 5].all()  # frame 5: 2 persons
    assert not ann['keypoint_score'][:, 3].any()  # frame 3: nobody
    assert ann['img_shape'] == (1080, 1920) and ann['total_frames'] == 72


def test_video_list_and_split_file(tmp_path):
    (tmp_path / 'list.txt').write_text(f'{VIDEO} 3\n# comment\n\n')
    assert read_video_list(str(tmp_path / 'list.txt')) == [(VIDEO, 3)]
    (tmp_path / 'bad.txt').write_text(f'{VIDEO}\n')
    with pytest.raises(ValueError, match=r'bad.txt: line 1: expected "<video path> <label>"'):
        read_video_list(str(tmp_path / 'bad.txt'))
    (tmp_path / 'split.txt').write_text('ntu_sample train\n')
    out = str(tmp_path / 'x.pkl')
    summary = make_annotation_file(
        str(tmp_path / 'list.txt'), out, BrightSpots(), split_file=str(tmp_path / 'split.txt'), progress=False
    )
    assert summary['num_videos'] == 1
    ds = PoseDataset(out, pipeline=[], split='train', layout='coco')
    assert ds.get_data_info(0)['label'] == 3
    (tmp_path / 'split2.txt').write_text('other train\n')
    with pytest.raises(ValueError, match="split2.txt: line 1: 'other' is not in the video list"):
        make_annotation_file(str(tmp_path / 'list.txt'), out, BrightSpots(), split_file=str(tmp_path / 'split2.txt'))


def test_coco_mapping_covers_the_layout():
    assert len(MEDIAPIPE_TO_COCO) == get_layout('coco').num_node
    # derived by joint name from the 'mediapipe' and 'coco' layouts; MediaPipe's landmark numbers
    assert MEDIAPIPE_TO_COCO == (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
    # COCO left/right pairs map to MediaPipe left/right pairs (MediaPipe: odd = left beyond the face)
    for left, right in get_layout('coco').flip_pairs:
        assert MEDIAPIPE_TO_COCO[left] < MEDIAPIPE_TO_COCO[right]
    with pytest.raises(KeyError, match='unknown pose estimator'):
        build_pose_estimator('openpose')


@needs_mediapipe
def test_mediapipe_on_the_real_clip(tmp_path):
    (tmp_path / 'videos.txt').write_text(f'{VIDEO} 7\n')
    out = tmp_path / 'custom.pkl'
    proc = subprocess.run(
        [
            sys.executable,
            osp.join(REPO, 'tools', 'data', 'extract_2d_skeleton.py'),
            '--video-list',
            str(tmp_path / 'videos.txt'),
            '--out',
            str(out),
            '--no-progress',
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ds = PoseDataset(str(out), pipeline=[], split='all', layout='coco', num_classes=60)
    ann = ds.get_data_info(0)
    kp, score = ann['keypoint'], ann['keypoint_score']
    assert kp.shape == (1, 72, 17, 2) and ann['img_shape'] == (1080, 1920) and ann['label'] == 7
    found = (score > 0).any(axis=-1)[0]
    assert found.mean() >= 0.9, f'person found in only {found.mean():.0%} of the frames'
    seen = kp[score > 0.5]
    assert len(seen) > 0.5 * kp[0].size / 2
    assert (seen[:, 0] >= 0).all() and (seen[:, 0] < 1920).all()
    assert (seen[:, 1] >= 0).all() and (seen[:, 1] < 1080).all()
    mean = kp[0][found].mean(0)  # (17, 2)
    assert mean[0, 1] < mean[5, 1] < mean[11, 1] < mean[13, 1] < mean[15, 1]  # nose, shoulder, hip, knee, ankle
    assert mean[5, 0] > mean[6, 0]  # the subject faces the camera: their left shoulder is on the image right
    raw = safe_load_pickle(out)
    assert raw['split'] == dict(all=['ntu_sample'])

"""VideoFrames reads the repository's NTU clip with OpenCV, and with decord identically when it is installed."""

import os

import numpy as np
import pytest

from pyskl.datasets.pose_extraction.video import VideoFrames


@pytest.fixture(scope='module')
def clip(shared_dir):
    return os.path.join(shared_dir, 'data', 'ntu_sample.avi')


def test_opencv_reads_every_frame_as_rgb(clip):
    video = VideoFrames(clip, backend='opencv')
    assert (video.backend, len(video), video.fps, video.shape) == ('opencv', 72, 30.0, (1080, 1920))
    frames = list(video)
    assert len(frames) == 72
    assert all(f.dtype == np.uint8 and f.shape == (1080, 1920, 3) for f in frames)
    # iterating again restarts from the first frame
    assert np.array_equal(next(iter(video)), frames[0])


def test_opencv_resizes(clip):
    video = VideoFrames(clip, backend='opencv', size=(270, 480))
    frames = list(video)
    assert video.shape == (270, 480) and len(frames) == 72 and frames[5].shape == (270, 480, 3)


def test_decord_and_opencv_decode_the_same_pixels(clip):
    pytest.importorskip('decord')
    a, b = VideoFrames(clip, backend='decord'), VideoFrames(clip, backend='opencv')
    assert (len(a), a.fps, a.shape) == (len(b), b.fps, b.shape)
    for i, (fa, fb) in enumerate(zip(a, b)):
        assert np.array_equal(fa, fb), f'frame {i} differs'


@pytest.mark.parametrize('backend', ['opencv', 'decord'])
def test_unreadable_files_name_the_file(tmp_path, backend):
    if backend == 'decord':
        pytest.importorskip('decord')
    text = tmp_path / 'notes.avi'
    text.write_text('not a video\n')
    for path in (text, tmp_path / 'missing.avi'):
        with pytest.raises(ValueError, match=str(path.name)):
            VideoFrames(str(path), backend=backend)


def test_unknown_backend():
    with pytest.raises(ValueError, match='backend must be one of'):
        VideoFrames('x.avi', backend='pyav')

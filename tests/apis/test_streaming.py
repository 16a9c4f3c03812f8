"""Live recognition on the repository clip read as a stream: frame-by-frame predictions equal the offline sliding
windows for the same frames; the threaded mode drops windows instead of stalling; person slots; `pyskl live`."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from pyskl.apis.streaming import StreamingRecognizer
from pyskl.apis.windows import sliding_window_predict, smooth_scores, window_inputs, window_scores
from pose_estimators import POSE_ESTIMATORS_DIR, CentroidPose
from repo_paths import REPO, VIDEO
from pyskl.datasets.pose_extraction import PoseEstimator, VideoFrames, extract_video

pytestmark = pytest.mark.slow
CONFIG = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_demo_hrnet', 'j.py')
HAS_MEDIAPIPE = importlib.util.find_spec('mediapipe') is not None
needs_video = pytest.mark.skipif(not os.path.isfile(VIDEO), reason='../shared/data/ntu_sample.avi not found')


def _estimator(kind) -> PoseEstimator:
    if kind == 'mediapipe':
        if not HAS_MEDIAPIPE:
            pytest.skip("SKIPPED: the 'pose' extra (mediapipe) is not installed; CI runs this in .venv-pose")
        from pyskl.datasets.pose_extraction import build_pose_estimator

        return build_pose_estimator('mediapipe')
    return CentroidPose()


def _model(width=8):
    from pyskl.apis import init_recognizer

    return init_recognizer(
        CONFIG, cfg_options={'model.backbone.base_channels': width, 'model.cls_head.in_channels': 4 * width}
    )


@pytest.fixture(scope='module')
def small_model():
    return _model(8)


@needs_video
@pytest.mark.parametrize('kind', ['centroid', 'mediapipe'])
def test_stream_equals_offline_windows_frame_by_frame(small_model, kind):
    """Frames pushed one by one as VideoFrames decodes them (synchronous mode): a prediction at frames 29, 39, ...
    whose scores are the offline windows' scores for the same frames; smoothing is the causal mean."""
    with _estimator(kind) as estimator:
        video = VideoFrames(VIDEO)
        stream = StreamingRecognizer(
            small_model, window=30, stride=10, smooth=3, topk=2, img_shape=video.shape, track=False
        )
        preds = []
        estimator.reset()
        for t, frame in enumerate(video):
            kp, score = estimator(frame)
            pred = stream.push(kp, score)
            assert (pred is not None) == (t >= 29 and (t - 29) % 10 == 0)
            preds.append(pred)
        offline = sliding_window_predict(small_model, extract_video(VIDEO, estimator), window=30, stride=10)
    got = [p for p in preds if p is not None]
    assert [p.frame for p in got] == [29, 39, 49, 59, 69] and [p.start for p in got] == [0, 10, 20, 30, 40]
    assert offline.starts.tolist() == [0, 10, 20, 30, 40, 42]  # the tail window 42 has no live counterpart
    scores = np.stack([p.scores for p in got])
    np.testing.assert_allclose(scores, offline.scores[:5], atol=1e-6)
    for i, p in enumerate(got):
        np.testing.assert_allclose(p.smoothed, offline.scores[max(0, i - 2) : i + 1].mean(0), atol=1e-6)
        assert [q.label for q in p.topk] == np.argsort(-p.smoothed, kind='stable')[:2].tolist()
    centred = smooth_scores(offline.scores, 3)  # the offline centred average, one window later
    np.testing.assert_allclose(np.stack([p.smoothed for p in got[2:]]), centred[1:4], atol=1e-6)
    stats = stream.stats()
    assert stats['frames'] == 72 and stats['windows_run'] == 5 and stats['windows_dropped'] == 0
    assert stats['frames_dropped'] == 0 and stats['frames_pending'] == 2
    assert stats['fps'] > 0 and stats['latency_ms']['max'] >= stats['recognition_ms']['max'] > 0


@needs_video
def test_threaded_mode_drops_windows_instead_of_stalling():
    """A full-width model recognising every frame (stride 1) cannot keep up with poses pushed as fast as the loop
    goes: waiting windows are replaced by newer ones, push never waits, and what is recognised is exact."""
    model = _model(32)
    estimator = CentroidPose()
    video = VideoFrames(VIDEO)
    poses = [estimator(frame) for frame in video]
    poses = poses * 3  # 216 frames
    recognised = []
    stream = StreamingRecognizer(
        model, window=50, stride=1, img_shape=video.shape, threaded=True, track=False, callback=recognised.append
    )
    returned = [stream.push(kp, score) for kp, score in poses]
    last = stream.close()
    stats = stream.stats()
    assert stats['frames'] == 216 and stats['windows_due'] == 167
    assert stats['windows_dropped'] > 0 and stats['windows_run'] == len(recognised) >= 1
    assert stats['windows_run'] + stats['windows_dropped'] == stats['windows_due']
    assert sum(r is not None for r in returned) < stats['windows_due']
    assert recognised[-1].frame == 215 and (last is None or last.frame == 215)  # the newest window is never lost
    frames = [p.frame for p in recognised]
    assert frames == sorted(set(frames))
    kp = np.stack([k[0] for k, _ in poses], axis=0)[None]
    sc = np.stack([s[0] for _, s in poses], axis=0)[None]
    ann = dict(frame_dir='x', keypoint=kp, keypoint_score=sc, img_shape=video.shape, total_frames=216)
    starts = np.array([p.start for p in recognised])
    offline = window_scores(model, window_inputs(model, ann, 50, starts))
    np.testing.assert_allclose(np.stack([p.scores for p in recognised]), offline, atol=1e-5)


def _person(x):
    return np.stack([np.full(17, float(x)), 100.0 + 10.0 * np.arange(17)], axis=-1)


def test_person_slots_keep_the_most_recently_active(small_model):
    """A and B hold slots 0 and 1; C appears while A is away and takes A's slot (B is in the frame); A, back while
    C and B are in the frame, is not recorded; a third person in a frame of two full slots neither."""
    stream = StreamingRecognizer(small_model, window=100, img_shape=(480, 640))
    score2 = np.ones((2, 17), np.float32)
    a, b, c = _person(100), _person(500), _person(300)
    for _ in range(5):
        stream.push(np.stack([a, b]), score2)
    assert stream.slots == [0, 1]
    stream.push(np.stack([b, a]), score2)  # order does not matter: tracks do
    assert stream.slots == [1, 0]
    for _ in range(3):
        stream.push(np.stack([c, b]), score2)
        assert stream.slots == [0, 1]
    stream.push(np.stack([c, b, a]), np.ones((3, 17), np.float32))
    assert stream.slots == [0, 1, -1]
    stream.push(np.zeros((0, 17, 2)), np.zeros((0, 17)))  # nobody: fine
    assert stream.slots == []
    with pytest.raises(ValueError, match=r'frame 11: keypoint must be \(P, V, C\) with V=17'):
        stream.push(np.zeros((1, 25, 2)), np.zeros((1, 25)))
    with pytest.raises(ValueError, match='needs per-joint scores'):
        stream.push(np.zeros((1, 17, 2)))


@needs_video
def test_live_command_writes_the_overlaid_video_and_reports_fps_and_latency(tmp_path):
    import cv2
    import torch

    torch.save({'state_dict': _model(32).state_dict()}, tmp_path / 'm.pth')  # the config as it is
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([POSE_ESTIMATORS_DIR, REPO, os.environ.get('PYTHONPATH', '')]),
    )
    base = [
        str(tmp_path / 'm.pth'),
        '--config',
        CONFIG,
        '--pose',
        'pose_estimators:CentroidPose',
        '--window',
        '20',
        '--stride',
        '5',
        '--smooth',
        '3',
    ]
    out = tmp_path / 'out.mp4'
    proc = subprocess.run(
        [sys.executable, '-m', 'pyskl', 'live'] + base + ['--source', VIDEO, '--out', str(out), '--max-frames', '40'],
        env=env,
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert f'40 frames from {VIDEO}: ' in proc.stdout and ' fps processed (source 30.0 fps' in proc.stdout
    assert 'end-to-end latency per frame' in proc.stdout and 'recognition latency per window: mean' in proc.stdout
    assert f'wrote 40 frames to {out}' in proc.stdout
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert len(frames) == 40 and frames[0].shape == (1080, 1920, 3)

    # a truncated file: the frames that decode are processed, then the run ends normally
    broken = tmp_path / 'broken.avi'
    broken.write_bytes(open(VIDEO, 'rb').read()[:600_000])
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, 'demo', 'webcam_demo.py')] + base + ['--source', str(broken), '--sync'],
        env=env,
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    processed = int(proc.stdout.split(' frames from ')[0])
    assert 20 <= processed < 72 and 'dropped (model busy)' in proc.stdout

    # a user's mistakes: one line on stderr
    for source, message in (
        (str(tmp_path / 'absent.mp4'), 'no such video file'),
        (os.path.join(POSE_ESTIMATORS_DIR, 'pose_estimators.py'), 'cannot open'),
    ):
        proc = subprocess.run(
            [sys.executable, '-m', 'pyskl', 'live'] + base + ['--source', source],
            env=env,
            cwd=str(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 1 and proc.stderr.startswith('error: ') and message in proc.stderr, proc.stderr


def test_coco_new_model_streams_stored_coco17_frames(repo_root):
    """A 'coco_new' model (ProtoGCN 2D) takes COCO-17 frames, as its pipeline adds the three extra joints."""
    from pyskl.apis import init_recognizer

    model = init_recognizer(f'{repo_root}/configs/protogcn/finegym_hrnet/j.py')
    stream = StreamingRecognizer(model, window=8, stride=8, topk=1, img_shape=(480, 640), track=False)
    rng = np.random.default_rng(0)
    preds = [
        stream.push(rng.uniform(50, 400, (1, 17, 2)).astype(np.float32), np.ones((1, 17), np.float32)) for _ in range(8)
    ]
    assert preds[-1] is not None and preds[-1].scores.shape == (99,)
    with pytest.raises(ValueError, match='V=17'):
        stream.push(np.zeros((1, 20, 2), np.float32), np.ones((1, 20), np.float32))


def test_live_runs_a_coco_new_model_on_a_coco_estimator(repo_root):
    """ProtoGCN's 2D models read COCO-17 skeletons ('coco_new' is stored as 'coco'): the live loop takes a COCO
    estimator for them (it had refused it); a 3D model is still refused."""
    from pyskl.apis import init_recognizer
    from pyskl.apis.live import run_live

    model = init_recognizer(f'{repo_root}/configs/protogcn/finegym_hrnet/j.py')
    stats = run_live(model, VIDEO, CentroidPose(), window=10, stride=10, max_frames=12, threaded=False)
    assert stats['frames_read'] == 12 and stats['predictions'] == 1
    model_3d = init_recognizer(f'{repo_root}/configs/stgcn++/stgcn++_demo_3dkp/j.py')
    with pytest.raises(ValueError, match=r"reads 'nturgb\+d' skeletons\) but the pose estimator gives 'coco'"):
        run_live(model_3d, VIDEO, CentroidPose(), max_frames=2)

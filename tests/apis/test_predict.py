"""Predictions from .npy / annotation pickle / JSON frames / arrays agree with inference_recognizer; every bad
input gets an error naming the file, the sample or frame, and the field."""

import importlib.util
import json
import struct
import os
import subprocess
import sys

import numpy as np
import pytest

from commands import run_pyskl
from pose_estimators import CentroidPose
from pyskl.apis import inference_recognizer
from pyskl.apis.predict import load_json, load_npy, load_pickle, load_skeletons, predict_clips
from pyskl.core.io import dump_pickle
from repo_paths import REPO, VIDEO

pytestmark = pytest.mark.slow


def _frames_json(kp):
    """kp (M, T, V, 3) -> the documented JSON frames (every person in every frame)."""
    return dict(frames=[dict(keypoints=kp[:, t].tolist()) for t in range(kp.shape[1])], frame_dir='json_sample')


def test_npy_pickle_json_and_arrays_give_the_top1_of_inference_recognizer(demo_model, demo_trained, tmp_path):
    anns = demo_trained['data']['annotations'][:12:3]
    for ann in anns:
        expected = inference_recognizer(demo_model, ann, topk=3)
        np.save(tmp_path / 'a.npy', ann['keypoint'])
        (tmp_path / 'a.json').write_text(json.dumps(_frames_json(ann['keypoint'])))
        from_npy = predict_clips(demo_model, load_skeletons(str(tmp_path / 'a.npy')), topk=3)[0]
        from_json = predict_clips(demo_model, load_skeletons(str(tmp_path / 'a.json')), topk=3)[0]
        from_pkl = predict_clips(
            demo_model, load_skeletons(demo_trained['ann_file'], frame_dir=ann['frame_dir']), topk=3
        )[0]
        from_array = predict_clips(demo_model, [ann['keypoint']], topk=3)[0]
        for got in (from_npy, from_json, from_pkl, from_array):
            assert got['topk'][0].label == expected[0].label
            np.testing.assert_allclose([p.score for p in got['topk']], [p.score for p in expected], atol=1e-5)
        assert from_pkl['frame_dir'] == ann['frame_dir'] and from_json['frame_dir'] == 'json_sample'
        assert from_npy['frame_dir'] == 'a' and from_npy['total_frames'] == ann['keypoint'].shape[1]
        assert from_npy['topk'][0].name == demo_model.classes[expected[0].label]  # the demo label map


def test_one_person_npy_and_whole_pickle_and_split(demo_trained, tmp_path):
    ann = demo_trained['data']['annotations'][0]
    np.save(tmp_path / 'one.npy', ann['keypoint'][0])  # (T, V, C)
    assert load_npy(str(tmp_path / 'one.npy'))[0]['keypoint'].shape == (1,) + ann['keypoint'].shape[1:]
    everything = load_pickle(demo_trained['ann_file'])
    assert len(everything) == len(demo_trained['data']['annotations'])
    val = load_pickle(demo_trained['ann_file'], split='xsub_val')
    assert [a['frame_dir'] for a in val] == demo_trained['data']['split']['xsub_val']


def test_json_frames_with_varying_persons_and_scores(tmp_path):
    """Persons may come and go; absent persons are zeros with score 0; 2D needs scores."""
    person = [[float(v), float(v) + 0.5] for v in range(17)]
    frames = [
        dict(keypoints=[person], scores=[[0.9] * 17]),
        dict(keypoints=[], scores=[]),
        dict(keypoints=[person, person], scores=[[0.8] * 17, [0.7] * 17]),
    ]
    path = tmp_path / 'f.json'
    path.write_text(json.dumps(frames))
    ann = load_json(str(path), layout='coco')[0]
    assert ann['keypoint'].shape == (2, 3, 17, 2) and ann['keypoint_score'].shape == (2, 3, 17)
    assert ann['keypoint_score'][1, 0, 0] == 0 and ann['keypoint_score'][:, 1].sum() == 0
    assert ann['keypoint_score'][1, 2, 0] == pytest.approx(0.7)
    np.testing.assert_array_equal(ann['keypoint'][0, 0], np.asarray(person, np.float32))


def _error(loader, *args, **kwargs):
    with pytest.raises(ValueError) as info:
        loader(*args, **kwargs)
    return str(info.value)


def test_bad_inputs_name_file_sample_frame_and_field(tmp_path):
    npy = str(tmp_path / 'bad.npy')
    np.save(npy, np.zeros((25, 3), np.float32))
    msg = _error(load_skeletons, npy)
    assert npy in msg and '(M, T, V, C)' in msg and '(25, 3)' in msg
    np.save(npy, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    assert npy in _error(load_skeletons, npy)
    kp = np.ones((1, 10, 25, 3), np.float32)
    kp[0, 4, 2, 1] = np.nan
    np.save(npy, kp)
    msg = _error(load_skeletons, npy, layout='nturgb+d')
    assert npy in msg and "'keypoint'" in msg and 'NaN' in msg and '(0, 4, 2, 1)' in msg
    np.save(npy, np.ones((1, 10, 17, 3), np.float32))
    msg = _error(load_skeletons, npy, layout='nturgb+d')
    assert npy in msg and 'V=17' in msg and "'nturgb+d'" in msg

    js = tmp_path / 'bad.json'
    person = [[0.0, 1.0, 2.0]] * 25
    js.write_text(json.dumps([dict(keypoints=[person])] * 3 + [dict(keypoints=[person[:24]])]))
    msg = _error(load_skeletons, str(js))
    assert str(js) in msg and 'frames[3]' in msg and "'keypoints'" in msg and '24 joints' in msg
    js.write_text(json.dumps([dict(keypoints=[person]), dict(keypoints=[[[0, 'x', 1]] * 25])]))
    msg = _error(load_skeletons, str(js))
    assert 'frames[1]' in msg and 'numbers' in msg
    js.write_text(json.dumps([dict(keypoints=[[[0.0, 1.0]] * 17])]))
    msg = _error(load_skeletons, str(js))
    assert str(js) in msg and "'scores'" in msg and '2D' in msg
    js.write_text(json.dumps([dict(keypoints=[[[0.0, 1.0]] * 17], scores=[[1.0] * 16])]))
    msg = _error(load_skeletons, str(js))
    assert 'frames[0]' in msg and "'scores'" in msg and '(1, 17)' in msg
    js.write_text(json.dumps({'persons': []}))
    assert 'frames' in _error(load_skeletons, str(js))
    js.write_text('[{"keypoints": ')
    assert 'not valid JSON' in _error(load_skeletons, str(js))
    js.write_text('[' * 100000 + ']' * 100000)  # json's RecursionError
    assert 'not valid JSON' in _error(load_skeletons, str(js))
    js.write_bytes(b'[{"keypoints": "\xff"}]')  # not UTF-8
    assert str(js) in _error(load_skeletons, str(js))
    js.write_text(json.dumps([dict(keypoints=[[[10**400, 0, 0]] * 25])]))  # an integer beyond float64
    msg = _error(load_skeletons, str(js))
    assert 'frames[0]' in msg and 'numbers' in msg

    pkl = str(tmp_path / 'bad.pkl')
    good = dict(frame_dir='ok', keypoint=np.ones((1, 10, 25, 3), np.float32))
    dump_pickle(
        dict(
            split=dict(all=['ok', 'broken']),
            annotations=[good, dict(frame_dir='broken', keypoint=np.ones((1, 10, 25, 3), np.float32), total_frames=12)],
        ),
        pkl,
    )
    msg = _error(load_skeletons, pkl)
    assert pkl in msg and "annotations[1] (frame_dir='broken')" in msg and "'total_frames'" in msg
    assert load_skeletons(pkl, frame_dir='ok')[0]['frame_dir'] == 'ok'  # labels are not needed
    msg = _error(load_skeletons, pkl, frame_dir='missing')
    assert pkl in msg and "'missing'" in msg
    assert 'not found' in _error(load_skeletons, pkl, split='train')
    assert 'unknown input type' in _error(load_skeletons, str(tmp_path / 'x.txt'))
    with pytest.raises(FileNotFoundError):
        load_skeletons(str(tmp_path / 'absent.npy'))


def test_small_files_that_claim_big_arrays_are_refused_before_allocating(tmp_path):
    # a .npy header claiming (10**9, 25, 3) over 64 bytes of data (numpy allocated 279 GiB first); empty / text /
    # negative-size headers; float64 values beyond float32 (Inf in the pipeline); a JSON file whose one crowded frame
    # would make every frame that wide (3.8 GiB for 3,400 numbers)
    npy = tmp_path / 'claims.npy'
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 25, 3), }"
    npy.write_bytes(b'\x93NUMPY\x01\x00' + struct.pack('<H', 118) + header.ljust(117).encode() + b'\n' + bytes(64))
    assert 'header declares more data than the file holds' in _error(load_skeletons, str(npy))
    # a header that is not a Python literal (an unclosed bracket) was a tokenize.TokenError traceback (found by fuzzing)
    unclosed = header.replace(')', '(').ljust(117).encode()
    npy.write_bytes(b'\x93NUMPY\x01\x00' + struct.pack('<H', 118) + unclosed + b'\n')
    assert 'its header is corrupt' in _error(load_skeletons, str(npy))
    npy.write_bytes(b'')
    assert 'not a .npy file' in _error(load_skeletons, str(npy))
    npy.write_text('frame,x,y\n0,1,2\n')
    assert 'not a .npy file' in _error(load_skeletons, str(npy))
    np.save(npy, np.full((1, 10, 25, 3), 1e300))
    msg = _error(load_skeletons, str(npy))
    assert str(npy) in msg and "'keypoint'" in msg and 'beyond the float32 range' in msg

    js = tmp_path / 'crowd.json'
    person = [[0.0, 1.0, 2.0]] * 17
    js.write_text(
        json.dumps([dict(keypoints=[person] * 100, scores=[[1.0] * 17] * 100)] + [dict(keypoints=[])] * 100000)
    )
    msg = _error(load_skeletons, str(js))
    assert str(js) in msg and 'frames[0] has 100 persons' in msg and '(100, 100001, 17, 3)' in msg
    js.write_text(json.dumps([dict(keypoints=[person] * 3)] * 50))  # a crowd in every frame is fine
    assert load_skeletons(str(js))[0]['keypoint'].shape == (3, 50, 17, 3)


def test_predict_command_prints_topk_with_names_and_writes_csv(demo_trained, tmp_path):
    ann = demo_trained['data']['annotations'][3]
    np.save(tmp_path / 's.npy', ann['keypoint'])
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'pyskl',
            'predict',
            demo_trained['ckpt'],
            str(tmp_path / 's.npy'),
            '--topk',
            '2',
            '--out',
            str(tmp_path / 'top.csv'),
        ],
        env=env,
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    from pyskl.datasets.synthetic import CLASS_NAMES

    assert 's (%d frames):' % ann['keypoint'].shape[1] in proc.stdout
    assert any(name in proc.stdout for name in CLASS_NAMES) and '  2. ' in proc.stdout
    lines = (tmp_path / 'top.csv').read_text().splitlines()
    assert lines[0] == 'frame_dir,rank,label,name,score' and len(lines) == 3 and lines[1].startswith('s,1,')
    # a user's mistake: one line on stderr, exit 1 (the tools/ front door too)
    bad = tmp_path / 'bad.npy'
    np.save(bad, np.ones((1, 10, 17, 3), np.float32))
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, 'tools', 'predict.py'), demo_trained['ckpt'], str(bad)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1 and proc.stderr.startswith('error: ') and 'V=17' in proc.stderr
    assert 'Traceback' not in proc.stderr
    # careless options: one line each, before the model is built or the input read
    for options, message, code in (
        (['--window', '0'], 'argument --window: expected frames from 1 to 100000', 2),
        (['--device', 'banana'], "device 'banana' is not a torch device", 1),
    ):
        proc = subprocess.run(
            [sys.executable, '-m', 'pyskl', 'predict', demo_trained['ckpt'], str(tmp_path / 's.npy'), *options],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
        assert proc.returncode == code and message in proc.stderr and 'Traceback' not in proc.stderr, proc.stderr


HAS_MEDIAPIPE = importlib.util.find_spec('mediapipe') is not None


@pytest.mark.skipif(
    not HAS_MEDIAPIPE,
    reason="SKIPPED: the 'pose' extra (mediapipe) is not installed in this "
    'environment; CI runs these tests in .venv-pose',
)
@pytest.mark.skipif(not os.path.isfile(VIDEO), reason='../shared/data/ntu_sample.avi not found')
def test_predict_on_the_real_video_clip_with_windows(tmp_path):
    """A video goes through MediaPipe poses first (COCO-17, a 2D model; fresh weights: the shapes are the point)."""
    import torch

    from pyskl.apis import init_recognizer

    config = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_demo_hrnet', 'j.py')
    model = init_recognizer(config)
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'm.pth')
    out = tmp_path / 'seg.csv'
    proc = run_pyskl(
        'predict',
        str(tmp_path / 'm.pth'),
        VIDEO,
        '--config',
        config,
        '--window',
        '30',
        '--stride',
        '15',
        '--out',
        str(out),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'ntu_sample (72 frames): 4 windows of 30 frames' in proc.stdout
    rows = out.read_text().splitlines()[1:]
    assert rows[0].startswith('ntu_sample,0,') and rows[-1].split(',')[2] == '72'


@pytest.mark.skipif(not os.path.isfile(VIDEO), reason='../shared/data/ntu_sample.avi not found')
def test_video_input_goes_through_pose_extraction_then_windows():
    from pyskl.apis import init_recognizer
    from pyskl.apis.predict import load_video
    from pyskl.apis.windows import sliding_window_predict

    config = os.path.join(REPO, 'configs', 'stgcn++', 'stgcn++_demo_hrnet', 'j.py')
    model = init_recognizer(config, cfg_options={'model.backbone.base_channels': 8, 'model.cls_head.in_channels': 32})
    ann = load_video(VIDEO, estimator=CentroidPose())[0]
    assert ann['frame_dir'] == 'ntu_sample' and ann['keypoint'].shape == (1, 72, 17, 2)
    assert predict_clips(model, [ann], topk=2)[0]['total_frames'] == 72
    result = sliding_window_predict(model, ann, window=30, stride=15, smooth=3)
    assert result.starts.tolist() == [0, 15, 30, 42] and result.scores.shape == (4, 10)
    assert result.segments[0]['start'] == 0 and result.segments[-1]['end'] == 72


@pytest.mark.parametrize('label', [None, [1, 2], 1.7, 10**30, 'abc', float('nan')])
def test_labels_that_are_not_class_indices_become_unknown(tmp_path, label):
    # predict / extract-features need no labels; such a label used to fail later in int() with a bare message
    # (or, 1.7, was stored as 1)
    pkl = str(tmp_path / 'labels.pkl')
    dump_pickle([dict(frame_dir='a', label=label, keypoint=np.ones((1, 10, 25, 3), np.float32))], pkl)
    with pytest.warns(UserWarning, match=r"taken as unknown \(-1\).*annotations\[0\] \(frame_dir='a'\): field 'label'"):
        (sample,) = load_skeletons(pkl)
    assert sample['label'] == -1


@pytest.mark.parametrize(
    'joint, found',
    [(['1.5', '2.5', '0'], 'found text'), ([True, 0.5, 0.5], 'found true / false'), ([None, 1, 2], 'found null')],
)
def test_json_numbers_must_be_numbers(tmp_path, joint, found):
    # "1.5" was parsed, true became 1.0, and null was reported as a NaN the file does not hold
    js = tmp_path / 'odd.json'
    person = [[0.0, 1.0, 2.0]] * 24 + [joint]
    js.write_text(json.dumps([dict(keypoints=[person])]))
    msg = _error(load_skeletons, str(js))
    assert f"{js}: frames[0]: field 'keypoints': must hold numbers only" in msg and found in msg

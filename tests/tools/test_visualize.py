"""Skeleton rendering: GIF / MP4 files decoded back (Pillow, decord) with the expected frame count."""

import json
import os.path as osp
import subprocess
import sys

import decord
import numpy as np
import pytest
from PIL import Image

from pyskl.core.io import dump_pickle
from pyskl.apis.visualize import PERSON_COLORS, draw_skeletons, draw_text, guess_layout, write_video
from repo_paths import REPO, VIDEO

TOOL = osp.join(REPO, 'tools', 'visualize_skeleton.py')


def gif_frames(path):
    with Image.open(path) as im:
        return [np.asarray(im.convert('RGB')) for _ in range(im.n_frames) if im.seek(_) is None]


def ntu_3d(rng, m=2, t=12):
    """NTU-like 3D people (metres): ``(M, T, 25, 3)``, person m shifted along x."""
    base = np.stack([rng.uniform(-0.2, 0.2, 25), rng.uniform(-0.8, 0.8, 25), rng.uniform(2.8, 3.2, 25)], -1)
    kp = np.stack([base + [0.8 * i, 0, 0] + 0.02 * rng.standard_normal((t, 1, 3)) for i in range(m)])
    return kp.astype(np.float32)


def coco_2d(rng, m=2, t=72, shape=(1080, 1920)):
    """COCO-17 2D people in pixels with scores: ``(M, T, 17, 2)``, ``(M, T, 17)``."""
    h, w = shape
    kp = np.stack(
        [
            rng.uniform([0.2 * w + 0.4 * w * i, 0.2 * h], [0.35 * w + 0.4 * w * i, 0.9 * h], (17, 2))
            + 5 * rng.standard_normal((t, 1, 2))
            for i in range(m)
        ]
    )
    return kp.astype(np.float32), np.full(kp.shape[:3], 0.9, np.float32)


def has_color(img, color, tol=40):
    return bool(np.any(np.all(np.abs(img.astype(int) - color) < tol, axis=-1)))


def test_draw_3d_people_in_their_colours():
    kp = ntu_3d(np.random.default_rng(0))
    images = draw_skeletons(kp, size=(120, 160))
    assert len(images) == 12 and images[0].shape == (120, 160, 3) and images[0].dtype == np.uint8
    assert has_color(images[0], PERSON_COLORS[0]) and has_color(images[0], PERSON_COLORS[1])
    one = draw_skeletons(kp[:1], size=(120, 160))
    assert has_color(one[0], PERSON_COLORS[0]) and not has_color(one[0], PERSON_COLORS[1])
    assert guess_layout(25) == 'nturgb+d' and guess_layout(17) == 'coco'
    with pytest.raises(ValueError, match='V=25 joints but layout .coco'):
        draw_skeletons(kp, layout='coco')
    with pytest.raises(ValueError, match='3D skeletons'):
        draw_skeletons(kp, frames=[np.zeros((10, 10, 3), np.uint8)] * 12)


def test_low_scores_are_not_drawn():
    kp, score = coco_2d(np.random.default_rng(1), m=1, t=2, shape=(240, 320))
    drawn = draw_skeletons(kp, keypoint_score=score, img_shape=(240, 320))
    hidden = draw_skeletons(kp, keypoint_score=score * 0, img_shape=(240, 320))
    assert has_color(drawn[0], PERSON_COLORS[0])
    assert np.all(hidden[0] == hidden[0][0, 0])  # blank canvas only
    # ProtoGCN's 'coco_new' data is stored as COCO-17: drawn as such
    np.testing.assert_array_equal(
        draw_skeletons(kp, keypoint_score=score, img_shape=(240, 320), layout='coco_new'), drawn
    )
    text = draw_text(drawn[0], ['1. waving: 0.91'])
    assert text.shape == drawn[0].shape and not np.array_equal(text, drawn[0])


def test_write_gif_and_mp4_decode(tmp_path):
    images = draw_skeletons(ntu_3d(np.random.default_rng(2), t=9), size=(96, 128))
    gif = write_video(images, str(tmp_path / 'a.gif'), fps=10)
    assert len(gif_frames(gif)) == 9
    mp4 = write_video(images, str(tmp_path / 'a.mp4'), fps=10)
    vr = decord.VideoReader(mp4)
    assert len(vr) == 9 and vr[0].shape == (96, 128, 3)
    with pytest.raises(ValueError, match='.gif or .mp4'):
        write_video(images, str(tmp_path / 'a.avi'))


def run_tool(*args):
    return subprocess.run(
        [sys.executable, TOOL, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300
    )


def test_cli_3d_gif_and_2d_mp4_over_the_video(tmp_path):
    rng = np.random.default_rng(3)
    kp2d, score = coco_2d(rng)
    anns = [
        dict(frame_dir='S001C001P001R001A001', label=0, keypoint=ntu_3d(rng, t=15), total_frames=15),
        dict(
            frame_dir='clip2d',
            label=1,
            keypoint=kp2d,
            keypoint_score=score,
            total_frames=72,
            img_shape=(1080, 1920),
            original_shape=(1080, 1920),
        ),
    ]
    ann_file = tmp_path / 'ann.pkl'
    dump_pickle(dict(split=dict(all=['S001C001P001R001A001', 'clip2d']), annotations=anns), ann_file)

    proc = run_tool(ann_file, '--frame-dir', 'S001C001P001R001A001', '--out', tmp_path / 'v3d.gif', '--size', 90, 120)
    assert proc.returncode == 0, proc.stderr
    frames = gif_frames(tmp_path / 'v3d.gif')
    assert len(frames) == 15 and frames[0].shape == (90, 120, 3)
    assert f'wrote 15 frames to {tmp_path / "v3d.gif"}' in proc.stdout

    proc = run_tool(
        ann_file, '--frame-dir', 'clip2d', '--out', tmp_path / 'v2d.mp4', '--video', VIDEO, '--size', 270, 480
    )
    assert proc.returncode == 0, proc.stderr
    vr = decord.VideoReader(str(tmp_path / 'v2d.mp4'))
    assert len(vr) == 72 and vr[0].shape == (270, 480, 3)
    # the video shows through where no skeleton is drawn
    src = decord.VideoReader(VIDEO, width=480, height=270)[0].asnumpy().astype(int)
    out = vr[0].asnumpy().astype(int)
    assert np.median(np.abs(out - src)) < 20

    proc = run_tool(ann_file, '--frame-dir', 'nope', '--out', tmp_path / 'x.gif')
    assert proc.returncode != 0 and "frame_dir='nope'" in proc.stderr


def test_cli_json_layout_and_prediction_captions(tmp_path):
    """A user-defined 5-joint layout given as JSON, and frames captioned from a PYSKL result file."""
    rng = np.random.default_rng(4)
    toy = dict(num_node=5, inward=[[1, 0], [2, 1], [3, 0], [4, 3]], center=0, name='toy')
    anns = [
        dict(
            frame_dir=f's{i}',
            label=i,
            keypoint=rng.uniform(-1, 1, (1, 6, 5, 3)).astype(np.float32) + [0, 0, 3],
            total_frames=6,
        )
        for i in range(3)
    ]
    ann_file = tmp_path / 'toy.pkl'
    dump_pickle(dict(split=dict(val=['s0', 's1', 's2']), annotations=anns), ann_file)
    (tmp_path / 'toy.json').write_text(json.dumps(toy))
    result = [
        np.array([0.1, 0.2, 0.7], np.float32),
        np.array([0.6, 0.3, 0.1], np.float32),
        np.array([0.2, 0.5, 0.3], np.float32),
    ]
    dump_pickle(result, tmp_path / 'result.pkl')
    (tmp_path / 'map.txt').write_text('sit\nstand\nwave\n')

    common = [ann_file, '--frame-dir', 's1', '--size', 120, 240, '--layout', tmp_path / 'toy.json']
    proc = run_tool(*common, '--out', tmp_path / 'plain.gif')
    assert proc.returncode == 0, proc.stderr
    proc = run_tool(
        *common,
        '--out',
        tmp_path / 'pred.gif',
        '--pred',
        tmp_path / 'result.pkl',
        '--split',
        'val',
        '--label-map',
        tmp_path / 'map.txt',
        '--topk',
        2,
    )
    assert proc.returncode == 0, proc.stderr
    plain, pred = gif_frames(tmp_path / 'plain.gif'), gif_frames(tmp_path / 'pred.gif')
    assert len(plain) == len(pred) == 6
    # the caption (three lines: 2 predictions + the true class) is drawn in the top-left corner only
    corner = (slice(0, 60), slice(0, 200))
    assert np.abs(pred[0][corner].astype(int) - plain[0][corner]).mean() > 5
    expected = draw_text(plain[0], ['1. sit: 0.60', '2. stand: 0.30', 'true: stand'])
    assert np.abs(pred[0].astype(int) - expected).mean() < 3

    # the layout as JSON text works too; a result file of another split is refused with the counts
    proc = run_tool(ann_file, '--frame-dir', 's0', '--out', tmp_path / 'b.gif', '--layout', json.dumps(toy))
    assert proc.returncode == 0, proc.stderr
    dump_pickle(result[:2], tmp_path / 'short.pkl')
    proc = run_tool(*common, '--out', tmp_path / 'c.gif', '--pred', tmp_path / 'short.pkl', '--split', 'val')
    assert proc.returncode != 0 and 'has 2 rows but' in proc.stderr and 'has 3 samples' in proc.stderr


def test_cli_refuses_a_malformed_sample_naming_file_sample_and_field(tmp_path):
    """The drawn sample is checked as the dataset checks it: a clear error (no traceback, no output file) for a
    NaN img_shape, NaN keypoints, a score array of the wrong shape, a non-dict entry before it."""
    rng = np.random.default_rng(5)
    kp2d, score = coco_2d(rng)
    good = dict(frame_dir='c', label=1, keypoint=kp2d, keypoint_score=score, total_frames=72, img_shape=(1080, 1920))
    nan_kp = kp2d.copy()
    nan_kp[0, 3, 2, 0] = np.nan
    cases = {
        'img_shape': dict(good, img_shape=(float('nan'), 1920)),
        'keypoint': dict(good, keypoint=nan_kp),
        'keypoint_score': dict(good, keypoint_score=score[:, :5]),
    }
    for field, ann in cases.items():
        ann_file = tmp_path / f'{field}.pkl'
        dump_pickle([7, ann], ann_file)  # a non-dict entry first: skipped by the search, not a crash
        out = tmp_path / f'{field}.gif'
        proc = run_tool(ann_file, '--frame-dir', 'c', '--out', out)
        assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr
        assert f'{ann_file}: ' in proc.stderr and "annotations[1] (frame_dir='c')" in proc.stderr
        assert f'field {field!r}' in proc.stderr
        assert not out.exists()


def test_output_size_is_bounded_and_options_checked(tmp_path):
    """A 2D sample with coordinates near the value bound (1e5 px) asked for a 1e5 x 1e5 canvas (28 GiB); a data-derived
    size is now scaled down to MAX_DEFAULT_SIDE, an explicit one is limited to MAX_SIDE."""
    from pyskl.apis.visualize import MAX_DEFAULT_SIDE, MAX_SIDE

    rng = np.random.default_rng(6)
    kp, score = coco_2d(rng)
    far = kp[:, :3] * 80.0  # up to ~1.5e5 px
    images = draw_skeletons(far, layout='coco', keypoint_score=score[:, :3])
    assert max(images[0].shape[:2]) == MAX_DEFAULT_SIDE
    images = draw_skeletons(kp[:, :2], layout='coco', keypoint_score=score[:, :2], img_shape=(10**9, 10**9))
    assert images[0].shape[:2] == (MAX_DEFAULT_SIDE, MAX_DEFAULT_SIDE)
    for size in ((0, 10), (MAX_SIDE + 1, 10), (10.5, 10)):
        with pytest.raises(ValueError, match=r'size must be \(H, W\)'):
            draw_skeletons(kp[:, :2], layout='coco', keypoint_score=score[:, :2], size=size)
    with pytest.raises(ValueError, match=r'fps must be a number in \(0, 1000\]'):
        write_video(images, str(tmp_path / 'a.gif'), fps=0)
    ann_file = tmp_path / 'ann.pkl'
    dump_pickle([dict(frame_dir='c', label=0, keypoint=kp, keypoint_score=score, total_frames=72)], ann_file)
    for options in (['--fps', '0'], ['--size', '0', '0'], ['--azimuth', 'nan'], ['--score-thr', 'inf']):
        proc = run_tool(ann_file, '--frame-dir', 'c', '--out', tmp_path / 'x.gif', *options)
        assert proc.returncode == 2 and f'argument {options[0]}' in proc.stderr, proc.stderr


def test_cli_refuses_renders_that_do_not_fit_in_memory(tmp_path):
    # every frame is kept until the file is written: 78 frames at 8192 x 8192 asked for 15 GiB (a MemoryError
    # traceback, or the machine swapping); a long 1080p video the same
    ann = str(tmp_path / 'ann.pkl')
    dump_pickle([dict(frame_dir='a', label=0, keypoint=ntu_3d(np.random.default_rng(0), t=78))], ann)
    proc = run_tool(ann, '--frame-dir', 'a', '--out', str(tmp_path / 'a.gif'), '--size', '8192', '8192')
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr
    assert '78 frames of 8192x8192 would hold 14.6 GiB in memory for a GIF' in proc.stderr
    assert 'write an .mp4 (streamed)' in proc.stderr and not (tmp_path / 'a.gif').exists()


def test_frames_are_drawn_and_written_as_they_are_read(tmp_path):
    # the background video, the drawing and the .mp4 writer stream: a long video is never held whole (visualize
    # kept every frame, refusing more than 4 GiB); a failure midway leaves no partial file and the old one intact
    from pyskl.apis.visualize import iter_skeletons

    kp, score = coco_2d(np.random.default_rng(8), t=40, shape=(120, 160))
    read = []

    def video(n):
        for t in range(n):
            read.append(t)
            yield np.full((120, 160, 3), t, np.uint8)

    frames = iter_skeletons(kp, layout='coco', keypoint_score=score, frames=video(40))
    assert len(read) == 1  # the first frame gave the image size; nothing drawn yet
    first = next(frames)
    assert first.shape == (120, 160, 3) and len(read) == 1
    next(frames)
    assert len(read) == 2
    out = tmp_path / 'a.mp4'
    out.write_bytes(b'an earlier render')
    with pytest.raises(ValueError, match='30 background frames for 40 skeleton frames'):
        write_video(iter_skeletons(kp, layout='coco', keypoint_score=score, frames=video(30)), str(out))
    assert out.read_bytes() == b'an earlier render' and sorted(p.name for p in tmp_path.iterdir()) == ['a.mp4']
    write_video(iter_skeletons(kp, layout='coco', keypoint_score=score, frames=video(40)), str(out), fps=10)
    vr = decord.VideoReader(str(out))
    assert len(vr) == 40 and vr[0].shape == (120, 160, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.mp4']

"""Sliding windows: the test pipeline per window, batched scores, smoothing, segments at the right places."""

import json

import numpy as np
import pytest

from commands import run_pyskl
from pyskl.apis import inference_recognizer
from pyskl.apis.windows import (
    segments_from_scores,
    sliding_window_predict,
    smooth_scores,
    window_inputs,
    window_scores,
    window_starts,
)

W = 30  # the demo config's clip_len


def test_window_starts_cover_every_frame():
    assert window_starts(100, 30, 15).tolist() == [0, 15, 30, 45, 60, 70]
    assert window_starts(90, 30, 30).tolist() == [0, 30, 60]
    assert window_starts(20, 30, 15).tolist() == [0]  # shorter than a window: one (looped) window
    with pytest.raises(ValueError, match='positive'):
        window_starts(100, 30, 0)


def test_smoothing_is_a_centred_moving_average_without_edge_loss():
    scores = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    out = smooth_scores(scores, 3)
    np.testing.assert_allclose(out[0], [0.5, 0.5])  # mean of the two windows that exist
    np.testing.assert_allclose(out[1], [2 / 3, 1 / 3])
    np.testing.assert_allclose(out[3], [1.0, 0.0])
    np.testing.assert_array_equal(smooth_scores(scores, 1), scores.astype(np.float32))
    with pytest.raises(ValueError, match='odd'):
        smooth_scores(scores, 2)


def test_segments_tile_the_sequence():
    starts = window_starts(100, 30, 15)
    scores = np.zeros((len(starts), 3))
    scores[:3, 2] = 1
    scores[3:, 0] = 0.5
    segs = segments_from_scores(starts, 30, 100, scores, ['a', 'b', 'c'])
    assert segs == [
        dict(start=0, end=52, label=2, name='c', score=1.0),
        dict(start=52, end=100, label=0, name='a', score=0.5),
    ]


@pytest.mark.slow
def test_each_window_is_what_the_test_pipeline_makes_of_a_w_frame_clip(demo_model, demo_trained):
    """Window scores equal inference_recognizer (the config's 10-clip test pipeline) on the window's frames."""
    ann = next(
        a
        for a in demo_trained['data']['annotations']
        if a['keypoint'].shape[0] == 1 and a['keypoint'].shape[1] >= 90 and np.all(a['keypoint'].any(-1))
    )
    result = sliding_window_predict(demo_model, ann, window=W, stride=20)
    assert result.starts.tolist() == list(range(0, ann['total_frames'] - W + 1, 20)) + (
        [ann['total_frames'] - W] if (ann['total_frames'] - W) % 20 else []
    )
    for s, row in zip(result.starts, result.scores):
        top = inference_recognizer(demo_model, ann['keypoint'][:, s : s + W], topk=10)
        np.testing.assert_allclose(row[[p.label for p in top]], [p.score for p in top], atol=1e-5)
    # batch size does not change the scores
    inputs = window_inputs(demo_model, ann, W, result.starts)
    assert inputs.shape == (len(result.starts), 2, W, 25, 3)
    np.testing.assert_allclose(window_scores(demo_model, inputs, batch_size=2), result.scores, atol=1e-5)


@pytest.mark.slow
def test_resampled_windows_are_what_the_val_pipeline_makes_of_the_window(demo_model, demo_trained):
    """clip_len=30 on 60-frame windows: each window's input is the config's one-clip val pipeline on its frames."""
    from mmengine.dataset import Compose

    from pyskl.registry import TRANSFORMS

    ann = next(a for a in demo_trained['data']['annotations'] if a['keypoint'].shape[1] >= 100)
    val = Compose([TRANSFORMS.build(t) for t in demo_model.cfg.val_dataloader.dataset.pipeline])
    starts = window_starts(ann['total_frames'], 60, 25)
    inputs = window_inputs(demo_model, ann, 60, starts, clip_len=W)
    assert inputs.shape == (len(starts), 2, W, 25, 3)
    for s, x in zip(starts, inputs):
        clip = dict(
            keypoint=ann['keypoint'][:, s : s + 60],
            total_frames=60,
            test_mode=True,
            start_index=0,
            label=-1,
            modality='Pose',
        )
        np.testing.assert_array_equal(val(clip)['inputs'][0].numpy(), x)
    result = sliding_window_predict(demo_model, ann, window=60, stride=25, clip_len=W)
    np.testing.assert_allclose(result.scores, window_scores(demo_model, inputs), atol=1e-6)


def _piece(ann):
    """Person 0 of a sample, uniformly resampled to W frames."""
    kp = ann['keypoint'][:1]
    return kp[:, np.linspace(0, kp.shape[1] - 1, W).round().astype(int)]


def _pieces_by_class(model, annotations, count=3):
    """For ``count`` classes, a W-frame piece the model labels with its true class both as it is and rolled by W/2
    (the content of the windows that straddle two repetitions of it)."""
    chosen = {}
    for ann in annotations:
        if ann['label'] in chosen:
            continue
        piece = _piece(ann)
        both = np.concatenate([piece, np.roll(piece, -W // 2, axis=1)], axis=1)
        probs = sliding_window_predict(model, both, window=W, stride=W).scores
        if (probs.argmax(1) == ann['label']).all():
            chosen[ann['label']] = (float(probs[:, ann['label']].min()), piece)
    best = sorted(chosen.items(), key=lambda kv: -kv[1][0])[:count]
    assert len(best) == count, f'the demo model recognises only classes {sorted(chosen)}'
    return [(label, piece) for label, (_, piece) in best]


@pytest.mark.slow
def test_segments_of_concatenated_actions_are_recovered(demo_model, demo_trained, tmp_path):
    """Three actions of known classes, each repeated 3 times (90 frames): their segments come back in order, with
    exact boundaries when windows align with the pieces and within a window otherwise."""
    pieces = _pieces_by_class(demo_model, demo_trained['data']['annotations'])
    labels = [label for label, _ in pieces]
    sequence = np.concatenate([np.concatenate([p] * 3, axis=1) for _, p in pieces], axis=1)  # (1, 270, 25, 3)
    truth = [(0, 90, labels[0]), (90, 180, labels[1]), (180, 270, labels[2])]

    aligned = sliding_window_predict(demo_model, sequence, window=W, stride=W)
    assert [(s['start'], s['end'], s['label']) for s in aligned.segments] == truth
    assert [s['name'] for s in aligned.segments] == [demo_model.classes[i] for i in labels]

    for smooth in (1, 3):
        half = sliding_window_predict(demo_model, sequence, window=W, stride=W // 2, smooth=smooth)
        segs = half.segments
        assert segs[0]['start'] == 0 and segs[-1]['end'] == 270
        assert all(a['end'] == b['start'] for a, b in zip(segs, segs[1:]))
        owner = np.empty(270, int)
        for s in segs:
            owner[s['start'] : s['end']] = s['label']
        margin = W // 2 + W // 4 + (smooth // 2) * (W // 2)  # frames owned by windows that see one action only
        for start, end, label in truth:
            assert (owner[start + (margin if start else 0) : end - (margin if end < 270 else 0)] == label).all()
        # a segment lying inside a transition zone (windows that see two actions) is a boundary effect; the
        # others are the actions, in order
        zones = [(b - margin, b + margin) for b in (90, 180)]
        main = [s for s in segs if not any(lo <= s['start'] and s['end'] <= hi for lo, hi in zones)]
        assert [s['label'] for s in main] == labels
        for (_, end, _), seg in zip(truth, main[:-1]):
            assert abs(seg['end'] - end) <= W

    # the command on the same sequence: segments JSON and the plot
    np.save(tmp_path / 'seq.npy', sequence)
    out, png = tmp_path / 'seg.json', tmp_path / 'scores.png'
    proc = run_pyskl(
        'predict',
        demo_trained['ckpt'],
        str(tmp_path / 'seq.npy'),
        '--window',
        str(W),
        '--stride',
        str(W),
        '--out',
        str(out),
        '--plot',
        str(png),
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text())
    assert [(r['start'], r['end'], r['label']) for r in rows] == truth
    assert set(rows[0]) == {'frame_dir', 'start', 'end', 'label', 'name', 'score'} and rows[0]['frame_dir'] == 'seq'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and png.stat().st_size > 10_000
    assert '3 segment(s)' in proc.stdout


@pytest.mark.slow
def test_bad_window_arguments(demo_model):
    seq = np.ones((1, 60, 25, 3), np.float32)
    with pytest.raises(ValueError, match='odd'):
        sliding_window_predict(demo_model, seq, smooth=4)
    with pytest.raises(ValueError, match='positive'):
        sliding_window_predict(demo_model, seq, stride=0)
    with pytest.raises(ValueError, match='V=17'):
        sliding_window_predict(demo_model, np.ones((1, 60, 17, 3), np.float32))

"""Sliding-window recognition over long skeleton sequences: per-window scores, smoothing, action segments.

A sequence of ``T`` frames is cut into windows of ``W`` frames every ``S`` frames (:func:`window_starts`). Each
window goes through the config's test pipeline with its frame sampler replaced by one that takes exactly the
window's ``W`` frames (:func:`window_pipeline`), i.e. a window gets the same normalisation, features and person
padding that a ``W``-frame clip gets at test time. All windows are stacked as one array
``(num_windows, M, W, V, C)`` and run through the model in batches (:func:`window_scores`): a 10-minute sequence
at 30 fps (18,000 frames) is one pass.

Defaults: ``W`` = the config's ``clip_len`` (the length the model was trained on), ``S = W // 2``, smoothing over
``smooth = 1`` window (none). Scores are class probabilities per window (the head's ``average_clips`` over one clip:
softmax for ``'prob'``, logits otherwise).

Segments (:func:`segments_from_scores`): window ``i`` speaks for the frames closest to its centre, i.e.
``[b_i, b_{i+1})`` with ``b_0 = 0``, ``b_n = T`` and ``b_i`` the midpoint between the centres of windows
``i - 1`` and ``i``; consecutive windows with the same top-1 class (after smoothing) merge into one segment
``dict(start, end, label, name, score)`` (frames, ``end`` exclusive; ``score`` = the mean smoothed score of the
label over the merged windows). Segments tile ``[0, T)`` without gaps or overlaps.
"""

import copy
import csv
import io
import os.path as osp
from typing import List, NamedTuple, Optional

import numpy as np

__all__ = [
    'SAMPLERS',
    'WindowResult',
    'default_window',
    'window_starts',
    'window_pipeline',
    'window_inputs',
    'window_scores',
    'smooth_scores',
    'segments_from_scores',
    'sliding_window_predict',
    'write_segments',
    'plot_window_scores',
]

#: Frame samplers of test pipelines that :func:`window_pipeline` knows how to replace.
SAMPLERS = ('UniformSampleFrames', 'UniformSample', 'UniformSampleDecode')


class WindowResult(NamedTuple):
    """Result of :func:`sliding_window_predict` for one sequence of ``total_frames`` frames.

    ``starts`` int64 ``(n,)`` first frame of each window; ``scores`` float32 ``(n, K)`` per window; ``smoothed``
    float32 ``(n, K)`` after the moving average; ``segments`` list of dicts (see the module docstring).
    """

    frame_dir: str
    total_frames: int
    window: int
    stride: int
    smooth: int
    starts: np.ndarray
    scores: np.ndarray
    smoothed: np.ndarray
    segments: List[dict]


def _sampler_index(pipeline_cfg) -> int:
    found = [i for i, t in enumerate(pipeline_cfg) if t.get('type') in SAMPLERS]
    if len(found) != 1:
        types = [t.get('type') for t in pipeline_cfg]
        raise ValueError(
            f'sliding windows need a test pipeline with exactly one frame sampler ({", ".join(SAMPLERS)}), got {types}'
        )
    return found[0]


def _test_pipeline_cfg(model) -> list:
    cfg = model.cfg
    loader = cfg.get('test_dataloader')
    pipeline = loader.dataset.pipeline if loader else cfg.get('test_pipeline')
    if not pipeline:
        raise KeyError('the config has neither test_dataloader.dataset.pipeline nor test_pipeline')
    return list(pipeline)


def default_window(model) -> int:
    """The config's clip length: top-level ``clip_len``, else the test sampler's ``clip_len``."""
    clip_len = model.cfg.get('clip_len')
    if clip_len is None:
        pipeline = _test_pipeline_cfg(model)
        clip_len = pipeline[_sampler_index(pipeline)]['clip_len']
    return int(clip_len)


def window_starts(total: int, window: int, stride: int) -> np.ndarray:
    """First frames of the windows: ``0, S, 2S, ...`` while the window fits, plus ``T - W`` when the last regular
    window stops short of the end (so every frame is covered); ``[0]`` when ``T <= W`` (a shorter sequence is one
    window, looped to ``W`` frames by the sampler as a short test clip is)."""
    if window < 1 or stride < 1:
        raise ValueError(f'window and stride must be positive frame counts, got window={window}, stride={stride}')
    if total <= window:
        return np.zeros(1, np.int64)
    starts = np.arange(0, total - window + 1, stride, dtype=np.int64)
    if starts[-1] + window < total:
        starts = np.append(starts, total - window)
    return starts


def window_pipeline(model, window: int, clip_len: Optional[int] = None):
    """The model's test pipeline for ``window``-frame clips: the frame sampler becomes the same sampler with
    ``clip_len=window, num_clips=1, p_interval=1`` (on a clip of ``window`` frames it takes frames
    ``0 .. window - 1`` in order, once), or with ``clip_len`` frames uniformly sampled from the window (one
    deterministic test clip). Built once per length and kept on the model."""
    from mmengine.dataset import Compose

    from pyskl.registry import TRANSFORMS

    cache = model.__dict__.setdefault('_window_pipelines', {})
    length = window if clip_len is None else int(clip_len)
    if length not in cache:
        pipeline = copy.deepcopy(_test_pipeline_cfg(model))
        i = _sampler_index(pipeline)
        pipeline[i] = dict(pipeline[i], clip_len=length, num_clips=1, p_interval=1)
        cache[length] = Compose([TRANSFORMS.build(t) for t in pipeline])
    return cache[length]


def window_inputs(model, ann: dict, window: int, starts: np.ndarray, clip_len: Optional[int] = None) -> np.ndarray:
    """Run every window of ``ann`` through :func:`window_pipeline`: float32 ``(num_windows, M', W', V, C')``
    (``W'`` = ``window``, or ``clip_len`` when given; ``M'`` the pipeline's ``num_person``, ``C'`` its channels).
    ``ann`` is a checked annotation (``keypoint`` ``(M, T, V, C)``, ``keypoint_score`` ``(M, T, V)`` for 2D)."""
    pipeline = window_pipeline(model, window, clip_len)
    kp = np.asarray(ann['keypoint'])
    score = ann.get('keypoint_score')
    out = None
    for i, s in enumerate(starts):
        s = int(s)
        clip = dict(
            frame_dir=ann.get('frame_dir', 'inference'),
            label=-1,
            keypoint=kp[:, s : s + window],
            test_mode=True,
            rng=np.random.default_rng(0),
            sample_idx=0,
            modality='Pose',
            start_index=0,
        )
        clip['total_frames'] = clip['keypoint'].shape[1]
        if score is not None:
            clip['keypoint_score'] = np.asarray(score)[:, s : s + window]
        for key in ('img_shape', 'original_shape'):
            if key in ann:
                clip[key] = ann[key]
        try:
            x = pipeline(clip)['inputs']
        except ValueError as e:
            raise ValueError(
                f'{ann.get("frame_dir")}: window at frames [{s}, {s + clip["total_frames"]}): {e}'
            ) from None
        x = np.asarray(x)[0]  # (1, M', W, V, C') -> (M', W, V, C')
        if out is None:
            out = np.empty((len(starts),) + x.shape, np.float32)
        out[i] = x
    return out


def window_scores(model, inputs: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class scores ``(num_windows, K)`` float32 of windows ``(num_windows, M, W, V, C)``, ``batch_size`` at a
    time on the model's device (one clip per window, combined as the head's ``average_clips`` says)."""
    import torch

    device = next(model.parameters()).device
    outs = []
    with torch.inference_mode():
        for i in range(0, len(inputs), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(inputs[i : i + batch_size])).to(device)
            logits = model(batch, mode='tensor')
            outs.append(model.cls_head.average_clip_scores(logits, 1).float().cpu().numpy())
    return np.concatenate(outs) if outs else np.zeros((0, model.cls_head.num_classes), np.float32)


def smooth_scores(scores: np.ndarray, k: int) -> np.ndarray:
    """Centred moving average over ``k`` windows (``k`` odd; at the ends the average of the windows that exist,
    so no score is pulled towards zero). ``k = 1`` returns a copy."""
    if k < 1 or k % 2 == 0:
        raise ValueError(f'smooth must be an odd number of windows >= 1, got {k}')
    scores = np.asarray(scores, np.float64)
    if k == 1 or len(scores) <= 1:
        return scores.astype(np.float32)
    half = k // 2
    csum = np.concatenate([np.zeros((1, scores.shape[1])), np.cumsum(scores, axis=0)])
    idx = np.arange(len(scores))
    lo, hi = np.maximum(idx - half, 0), np.minimum(idx + half + 1, len(scores))
    return ((csum[hi] - csum[lo]) / (hi - lo)[:, None]).astype(np.float32)


def segments_from_scores(
    starts: np.ndarray, window: int, total: int, smoothed: np.ndarray, classes: Optional[List[str]] = None
) -> List[dict]:
    """Action segments (see the module docstring): ``[dict(start, end, label, name, score)]`` tiling ``[0, T)``."""
    if len(starts) == 0:
        return []
    centres = np.asarray(starts, np.float64) + min(window, total) / 2
    bounds = np.concatenate([[0], np.round((centres[1:] + centres[:-1]) / 2).astype(np.int64), [total]])
    labels = smoothed.argmax(axis=1)
    segments, first = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[first]:
            label = int(labels[first])
            segments.append(
                dict(
                    start=int(bounds[first]),
                    end=int(bounds[i]),
                    label=label,
                    name=classes[label] if classes and label < len(classes) else None,
                    score=round(float(smoothed[first:i, label].mean()), 6),
                )
            )
            first = i
    return segments


def sliding_window_predict(
    model,
    sample,
    window: Optional[int] = None,
    stride: Optional[int] = None,
    smooth: int = 1,
    batch_size: int = 64,
    clip_len: Optional[int] = None,
) -> WindowResult:
    """Recognise actions along one sequence with sliding windows.

    Args:
        model: A recognizer from :func:`pyskl.apis.init_recognizer`.
        sample (dict | np.ndarray): An annotation (``keypoint`` ``(M, T, V, C)``, ``keypoint_score`` for 2D) or
            keypoints ``(M, T, V, C)`` / ``(T, V, C)`` (for a 2D model ``C = 3`` is ``(x, y, score)``).
        window (int | None): Frames per window; None: :func:`default_window` (the config's ``clip_len``).
        stride (int | None): Frames between window starts; None: ``max(1, window // 2)``.
        smooth (int): Odd number of windows of the moving average (1: none).
        batch_size (int): Windows per forward pass.
        clip_len (int | None): None: the model sees each window's ``W`` frames as they are. An int: the test
            sampler takes ``clip_len`` frames uniformly from each window (one deterministic clip), e.g. the
            config's ``clip_len`` with a ``W`` that spans one action at its real speed (:func:`default_window`
            gives it).

    Raises:
        ValueError: a bad sample (shape, joints, values), window, stride or smooth.
    """
    from .inference import _validate
    from .predict import as_model_input

    ann = as_model_input(model, sample)
    _validate(ann, model)
    window = default_window(model) if window is None else int(window)
    stride = max(1, window // 2) if stride is None else int(stride)
    total = int(np.shape(ann['keypoint'])[1])
    starts = window_starts(total, window, stride)
    smooth_k = int(smooth)
    if smooth_k < 1 or smooth_k % 2 == 0:
        raise ValueError(f'smooth must be an odd number of windows >= 1, got {smooth}')
    scores = window_scores(model, window_inputs(model, ann, window, starts, clip_len), batch_size)
    smoothed = smooth_scores(scores, smooth_k)
    segments = segments_from_scores(starts, window, total, smoothed, getattr(model, 'classes', None))
    return WindowResult(
        str(ann.get('frame_dir', 'inference')), total, window, stride, smooth_k, starts, scores, smoothed, segments
    )


def write_segments(path: str, results: List[WindowResult]) -> None:
    """Write the segments of ``results`` to ``path`` (atomically): ``.json``, a list of objects
    ``{frame_dir, start, end, label, name, score}``; ``.csv``, the same columns with a header row."""
    rows = [dict(frame_dir=r.frame_dir, **seg) for r in results for seg in r.segments]
    write_rows(path, rows, ['frame_dir', 'start', 'end', 'label', 'name', 'score'])


def write_rows(path: str, rows: List[dict], columns: List[str]) -> None:
    """``rows`` to ``path``: ``.json`` (a list of objects) or ``.csv`` (``columns`` with a header row)."""
    import json

    from pyskl.core.fileio import write_text_atomic

    ext = osp.splitext(path)[1].lower()
    if ext == '.json':
        text = json.dumps(rows, indent=1) + '\n'
    elif ext == '.csv':
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator='\n')
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        raise ValueError(f'{path}: --out must end in .json or .csv')
    write_text_atomic(path, text)


def plot_window_scores(
    path: str, result: WindowResult, classes: Optional[List[str]] = None, max_classes: int = 10, dpi: int = 100
) -> None:
    """PNG of the smoothed per-class scores against the frame (window centres), with the segments as coloured
    bands; the ``max_classes`` classes with the highest peak score are drawn. matplotlib Agg (no pyplot state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.5))
    ax = fig.subplots()
    x = result.starts + min(result.window, result.total_frames) / 2
    peak = result.smoothed.max(axis=0) if len(result.smoothed) else np.zeros(0)
    shown = np.argsort(-peak)[:max_classes]
    colours = {int(c): f'C{j % 10}' for j, c in enumerate(shown)}
    for c in shown:
        name = classes[c] if classes and c < len(classes) else f'class {c}'
        ax.plot(x, result.smoothed[:, c], color=colours[int(c)], label=f'{c}: {name}', lw=1.5)
    for seg in result.segments:
        ax.axvspan(seg['start'], seg['end'], color=colours.get(seg['label'], '0.8'), alpha=0.12, lw=0)
    ax.set(
        xlim=(0, result.total_frames),
        ylim=(0, 1.02) if peak.size and peak.max() <= 1 else None,
        xlabel='frame',
        ylabel='score',
        title=f'{result.frame_dir}: window {result.window}, stride {result.stride}, smooth {result.smooth}',
    )
    ax.legend(loc='upper left', bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)

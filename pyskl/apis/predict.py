"""Skeletons from any source (``.npy``, annotation pickle, JSON frames, video, numpy arrays) and their predictions.

Every loader returns a list of PYSKL annotation dicts ``dict(frame_dir, total_frames, keypoint (M, T, V, C)
[, keypoint_score (M, T, V)])`` checked by :func:`pyskl.core.validation.check_sample`; every bad input raises
``ValueError`` naming the file, the sample or frame, and the field.

Inputs (:func:`load_skeletons` picks by extension):

- ``.npy``: one array ``(M, T, V, C)`` or ``(T, V, C)`` (one person), numeric, no pickled objects. For a 2D
  model ``C = 3`` is ``(x, y, score)``; for a 3D model ``C = 3`` is ``(x, y, z)``.
- ``.pkl`` / ``.pickle``: a PYSKL / MMAction2 annotation file (read without executing code by
  :func:`pyskl.core.io.safe_load_pickle`): all samples, the samples of one ``split``, or one ``frame_dir``.
  Labels are not needed (prediction ignores them).
- ``.json``: frames as objects (:data:`JSON_SCHEMA`)::

      {"frames": [{"keypoints": [[[x, y(, z)], ... V joints], ... one list per person],
                   "scores": [[s, ... V], ... one list per person]}, ...],
       "frame_dir": "name"}                      # optional

  or the bare list of frames. A frame may hold any number of persons (0 included); ``M`` is the largest
  count and absent persons are zeros (score 0). ``scores`` (per joint confidence) is required for 2D
  keypoints, optional for 3D. Person ``m`` of every frame is the same person (track ids are the caller's job).
- a video (:data:`VIDEO_EXTENSIONS`): 2D poses are estimated first with the MediaPipe backend
  (the ``pose`` extra), giving COCO-17 keypoints in pixels with scores.
"""

import json
import os
import os.path as osp
import warnings
from typing import List, Optional, Union
from tokenize import TokenError

import numpy as np

from pyskl.core.fileio import check_regular_file

__all__ = [
    'VIDEO_EXTENSIONS',
    'JSON_SCHEMA',
    'load_skeletons',
    'load_npy',
    'load_pickle',
    'load_json',
    'load_video',
    'from_array',
    'check_annotations',
    'predict_clips',
]

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg')

#: The JSON input format (see the module docstring), as a description users can print.
JSON_SCHEMA = (
    '{"frames": [{"keypoints": [[[x, y(, z)] x V] x persons], "scores": [[s x V] x persons]}, ...], '
    '"frame_dir": optional name}  (or the bare list of frames; scores required for 2D)'
)


def _num_node(layout: Optional[str]) -> Optional[int]:
    if layout is None:
        return None
    from pyskl.core.layout import get_layout

    return get_layout(layout).stored_num_node  # 'coco_new' data is stored as COCO-17 (the pipeline adds 3)


def check_annotations(
    annotations: list,
    source: str,
    layout: Optional[str] = None,
    indices: Optional[List[int]] = None,
    context: str = 'the input',
) -> list:
    """Check samples as the dataset does (:func:`pyskl.core.validation.check_sample`), ignoring labels;
    ``indices``: the samples' positions in the file (for messages), default 0, 1, ...

    Raises:
        ValueError: one message listing the problems, each naming ``source``, the sample and the field.
    """
    from pyskl.core.reprs import short_repr
    from pyskl.core.validation import Problems, check_sample, is_int

    problems = Problems(source)
    num_node = _num_node(layout)
    for i, ann in zip(indices or range(len(annotations)), annotations):
        check_sample(i, ann, problems, num_node=num_node, layout=layout, value_checks='ignore')
    problems.errors = [e for e in problems.errors if not e[0].startswith('label:')]
    problems.raise_if_any(context)
    # labels are not needed to predict; one that is not a class index (None, a list, 1.7, 10**30) becomes -1
    # (unknown) instead of failing later in int(), and a warning names the first
    replaced = []
    for i, ann in zip(indices or range(len(annotations)), annotations):
        if isinstance(ann, dict) and 'label' in ann and not (is_int(ann['label']) and -1 <= ann['label'] < 2**62):
            replaced.append(
                f"annotations[{i}] (frame_dir={short_repr(ann.get('frame_dir'))}): field 'label' = "
                f'{short_repr(ann["label"])}'
            )
            ann['label'] = -1
    if replaced:
        warnings.warn(
            f'{source}: {len(replaced)} label(s) not class indices, taken as unknown (-1); the first: {replaced[0]}'
        )
    return annotations


def from_array(array, name: str = 'array', source: str = '<array>', layout: Optional[str] = None) -> dict:
    """One annotation from keypoints ``(M, T, V, C)`` or ``(T, V, C)`` (one person); the array is not copied.

    A ``C = 3`` array stays whole (``(x, y, z)``, or ``(x, y, score)`` which :func:`predict_clips` splits for a
    2D model). Raises ``ValueError`` naming ``source`` for a non-numeric array or a wrong number of dims.
    """
    kp = np.asarray(array)
    if kp.dtype.kind not in 'fiu':
        raise ValueError(f'{source}: keypoints must be a numeric array (M, T, V, C), got dtype {kp.dtype}')
    if kp.ndim == 3:
        kp = kp[None]
    if kp.ndim != 4:
        raise ValueError(f'{source}: keypoints must be (M, T, V, C) or (T, V, C) (one person), got shape {kp.shape}')
    ann = dict(frame_dir=name, label=-1, total_frames=int(kp.shape[1]), keypoint=kp)
    check_annotations([ann], source, layout)
    return ann


def load_npy(path: str, layout: Optional[str] = None) -> List[dict]:
    """``[annotation]`` of a ``.npy`` file holding ``(M, T, V, C)`` or ``(T, V, C)`` (``frame_dir`` = file stem)."""
    with open(path, 'rb') as f:
        if f.read(6) != b'\x93NUMPY':
            raise ValueError(f'{path}: not a .npy file (empty, or it does not start with the .npy header)')
    try:
        # memory-mapped first: a header that declares more data than the file holds is refused before anything is
        # allocated (a 64-byte file may claim (10**9, 25, 3)); then one copy into memory
        array = np.array(np.load(path, mmap_mode='r', allow_pickle=False))
    except (ValueError, EOFError, OverflowError, SyntaxError, TokenError) as e:
        # an object array (needs pickle: refused), a truncated file, a header that is not a Python literal
        text = str(e)
        if isinstance(e, (SyntaxError, TokenError)):
            text = f'its header is corrupt ({type(e).__name__}: {text[:200]})'
        elif 'mmap length' in text or 'cannot mmap' in text or 'size' in text or isinstance(e, OverflowError):
            text = 'truncated: its header declares more data than the file holds'
        elif 'pickle' in text or 'Python objects' in text:
            text = 'it holds Python objects (an object array), which are never loaded'
        elif isinstance(e, EOFError):
            text = 'truncated'
        raise ValueError(f'{path}: not a plain numeric .npy array: {text}') from None
    return [from_array(array, osp.splitext(osp.basename(path))[0], path, layout)]


def load_pickle(
    path: str, frame_dir: Optional[str] = None, split: Optional[str] = None, layout: Optional[str] = None
) -> List[dict]:
    """Samples of an annotation pickle: all of them, those of ``split``, or the one named ``frame_dir``.

    Raises:
        ValueError: unreadable or unsafe file, unknown split or ``frame_dir``, or samples that fail the checks.
    """
    from pyskl.core.compressed import KpfileReader
    from pyskl.core.io import safe_load_pickle
    from pyskl.core.splits import check_ann_path, parse_file, select_split
    from pyskl.core.validation import Problems, identifier

    check_ann_path(path)
    annotations, splits = parse_file(safe_load_pickle(path), path)
    problems = Problems(path)
    if split is not None:
        chosen = select_split(annotations, splits, split, path, problems)
        problems.raise_if_any(f'split {split!r}')
    else:
        chosen = list(enumerate(annotations))
        if not chosen:
            raise ValueError(f'{path}: the file holds no annotations')
    if frame_dir is not None:
        chosen = [(i, a) for i, a in chosen if isinstance(a, dict) and identifier(a) == frame_dir]
        if not chosen:
            names = [identifier(a) for a in annotations if isinstance(a, dict)][:5]
            raise ValueError(
                f'{path}: no sample with frame_dir {frame_dir!r}'
                + (f' in split {split!r}' if split else '')
                + f' (e.g. {names})'
            )
    samples = [dict(a, label=a.get('label', -1)) if isinstance(a, dict) else a for _, a in chosen]
    samples = check_annotations(samples, path, layout, [i for i, _ in chosen], f'{len(samples)} selected sample(s)')
    reader = KpfileReader(path)
    return [_decompressed(ann, path, reader) for ann in samples]


def _decompressed(ann: dict, path: str, reader) -> dict:
    """A sample in PYSKL's compressed format (Kinetics-400: instances, maybe in a kpfile read by ``reader``) made
    dense by ``DecompressPose`` with its defaults; any other sample unchanged."""
    from pyskl.core.compressed import is_compressed
    from pyskl.datasets.transforms import DecompressPose

    if not is_compressed(ann):
        return ann
    instances = reader.instances(ann)  # its errors name the kpfile
    try:
        return DecompressPose()(dict(ann, keypoint=instances))
    except ValueError as e:
        raise ValueError(f'{path}: {e}') from None


def _holds_bool(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            return True
        if isinstance(item, list):
            stack.extend(item)
    return False


def _frame_array(path: str, i: int, frame: dict, key: str, depth: int):
    """``frames[i][key]`` as a float array of ``depth`` dims (persons first); empty lists mean no person."""
    value = frame[key]
    where = f'{path}: frames[{i}]: field {key!r}'
    if not isinstance(value, list):
        raise ValueError(f'{where}: must be a list with one entry per person, got {type(value).__name__}')
    if not value:
        return None
    nesting = '[[x, y(, z)] per joint]' if depth == 3 else '[s per joint]'
    try:
        raw = np.asarray(value)  # JSON numbers give an int / float array; anything else shows in the dtype
        if raw.dtype.kind not in 'iuf':
            found = {'U': 'text', 'S': 'text', 'b': 'true / false'}
            raise ValueError(found.get(raw.dtype.kind, 'null, or numbers beyond 64 bits'))
        if _holds_bool(value):  # numpy turns true / false among numbers into 1.0 / 0.0
            raise ValueError('true / false')
        array = raw.astype(np.float64)
    except (TypeError, ValueError, OverflowError) as e:  # ragged persons: ValueError from asarray
        found = str(e) if str(e) in ('text', 'true / false', 'null, or numbers beyond 64 bits') else 'uneven nesting'
        raise ValueError(
            f'{where}: must hold numbers only, as persons of equal length ({nesting} per person); found {found}'
        ) from None
    if array.ndim != depth:
        shape = '(persons, V, 2 or 3)' if depth == 3 else '(persons, V)'
        raise ValueError(f'{where}: must be nested as {shape}, got shape {array.shape}')
    return array


def load_json(path: str, layout: Optional[str] = None) -> List[dict]:
    """``[annotation]`` of a JSON file of frames (:data:`JSON_SCHEMA`)."""
    try:
        with open(path, encoding='utf-8') as f:
            raw = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from None
    except RecursionError:
        raise ValueError(f'{path}: not valid JSON (nested too deeply)') from None
    name = osp.splitext(osp.basename(path))[0]
    if isinstance(raw, dict):
        if 'frames' not in raw:
            raise ValueError(
                f'{path}: expected {{"frames": [...]}} or a list of frames, got an object with keys '
                f'{sorted(raw)[:8]}; schema: {JSON_SCHEMA}'
            )
        name = raw.get('frame_dir', name)
        if not isinstance(name, str):
            raise ValueError(f"{path}: field 'frame_dir' must be a string, got {type(name).__name__}")
        frames = raw['frames']
    else:
        frames = raw
    if not isinstance(frames, list) or not frames:
        raise ValueError(f"{path}: field 'frames' must be a non-empty list of frames; schema: {JSON_SCHEMA}")
    kps, scores, joints, channels = [], [], None, None
    for i, frame in enumerate(frames):
        if not isinstance(frame, dict) or 'keypoints' not in frame:
            raise ValueError(
                f"{path}: frames[{i}]: must be an object with field 'keypoints', got "
                f'{type(frame).__name__}; schema: {JSON_SCHEMA}'
            )
        kp = _frame_array(path, i, frame, 'keypoints', 3)
        score = _frame_array(path, i, frame, 'scores', 2) if frame.get('scores') is not None else None
        if kp is not None:
            if kp.shape[2] not in (2, 3):
                raise ValueError(
                    f"{path}: frames[{i}]: field 'keypoints': each joint must be [x, y] or [x, y, z], "
                    f'got {kp.shape[2]} numbers'
                )
            if joints is None:
                joints, channels = kp.shape[1], kp.shape[2]
            elif (kp.shape[1], kp.shape[2]) != (joints, channels):
                raise ValueError(
                    f"{path}: frames[{i}]: field 'keypoints': {kp.shape[1]} joints x {kp.shape[2]} "
                    f'numbers, but earlier frames have {joints} x {channels}'
                )
            if score is not None and score.shape != kp.shape[:2]:
                raise ValueError(
                    f"{path}: frames[{i}]: field 'scores': shape {score.shape} does not match the "
                    f'keypoints (persons, V) = {kp.shape[:2]}'
                )
        elif score is not None:
            raise ValueError(f"{path}: frames[{i}]: field 'scores' has persons but 'keypoints' has none")
        kps.append(kp)
        scores.append(score)
    if joints is None:
        raise ValueError(f'{path}: no frame holds a person')
    has_scores = [s is not None for k, s in zip(kps, scores) if k is not None]
    if any(has_scores) and not all(has_scores):
        first = next(i for i, (k, s) in enumerate(zip(kps, scores)) if k is not None and s is None)
        raise ValueError(
            f"{path}: frames[{first}]: field 'scores' is missing, but other frames have scores "
            '(give scores in every frame with persons, or in none)'
        )
    if channels == 2 and not any(has_scores):
        raise ValueError(
            f"{path}: field 'scores': 2D keypoints need per-joint scores in every frame with "
            f'persons; schema: {JSON_SCHEMA}'
        )
    M, T = max(len(k) for k in kps if k is not None), len(frames)
    given = sum(k.size for k in kps if k is not None)
    dense = M * T * joints * channels
    if dense > max(16 * given, 1 << 24):  # the file lists persons frame by frame; the array has M in every frame
        busiest = max(range(T), key=lambda t: -1 if kps[t] is None else len(kps[t]))
        raise ValueError(
            f'{path}: frames[{busiest}] has {M} persons, so the {T} frames need a ({M}, {T}, {joints}, {channels}) '
            f'array ({dense * 4 / 2**30:.2f} GiB) for the {given} numbers the file gives; refusing (drop persons '
            'that are not needed, or split the file)'
        )
    keypoint = np.zeros((M, T, joints, channels), np.float32)
    keypoint_score = np.zeros((M, T, joints), np.float32) if any(has_scores) else None
    for t, (k, s) in enumerate(zip(kps, scores)):
        if k is not None:
            keypoint[: len(k), t] = k
            if keypoint_score is not None:
                keypoint_score[: len(k), t] = s
    ann = dict(frame_dir=name, label=-1, total_frames=T, keypoint=keypoint)
    if keypoint_score is not None:
        ann['keypoint_score'] = keypoint_score
    return check_annotations([ann], path, layout)


def load_video(path: str, estimator=None, model_complexity: int = 1) -> List[dict]:
    """``[annotation]`` of a video: 2D poses in pixels with scores, by ``estimator`` (a
    :class:`~pyskl.datasets.pose_extraction.PoseEstimator`; default MediaPipe, COCO-17, the ``pose`` extra:
    ``ImportError`` without it). Adds ``fps`` and ``num_detected`` (frames with a person)."""
    from pyskl.datasets.pose_extraction import build_pose_estimator, extract_video

    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such video file')
    if estimator is None:
        with build_pose_estimator('mediapipe', model_complexity=model_complexity) as estimator:
            ann = extract_video(path, estimator)
    else:
        ann = extract_video(path, estimator)
    ann.update(frame_dir=osp.splitext(osp.basename(path))[0], label=-1)
    return [ann]


def load_skeletons(
    path: str, frame_dir: Optional[str] = None, split: Optional[str] = None, layout: Optional[str] = None
) -> List[dict]:
    """Annotations of a skeleton file or video, chosen by extension (see the module docstring).

    Args:
        path (str): ``.npy``, ``.pkl`` / ``.pickle``, ``.json`` or a video.
        frame_dir (str | None): Pickles only: the one sample to return.
        split (str | None): Pickles only: the split to take (default all samples).
        layout (str | None): The model's skeleton layout: the joint count ``V`` is checked against it.
    """
    path = os.fspath(path)
    ext = osp.splitext(path)[1].lower()
    if (frame_dir is not None or split is not None) and ext not in ('.pkl', '.pickle'):
        raise ValueError(f'{path}: frame_dir / split select samples of an annotation pickle; this is a {ext} file')
    if ext in VIDEO_EXTENSIONS:
        return load_video(path)
    loaders = {
        '.npy': lambda: load_npy(path, layout),
        '.pkl': lambda: load_pickle(path, frame_dir, split, layout),
        '.pickle': lambda: load_pickle(path, frame_dir, split, layout),
        '.json': lambda: load_json(path, layout),
    }
    if ext not in loaders:
        raise ValueError(
            f'{path}: unknown input type {ext!r}: give a .npy array (M, T, V, C), an annotation .pkl, '
            f'a .json list of frames or a video ({", ".join(VIDEO_EXTENSIONS)})'
        )
    if not osp.exists(path):
        raise FileNotFoundError(f'{path}: no such file')
    check_regular_file(path, 'skeleton file')  # a FIFO or /dev/zero would block or never end
    return loaders[ext]()


def model_layout(model) -> Optional[str]:
    """The model's skeleton layout name (``model.cfg.model.backbone.graph_cfg.layout``), None when unknown."""
    from .inference import configured_layout

    layout = configured_layout(model)
    return layout if isinstance(layout, str) else None


def as_model_input(model, sample: Union[dict, np.ndarray]) -> dict:
    """``sample`` as the annotation ``model``'s pipeline reads: an array, or a dict whose ``keypoint`` has
    ``C = 3`` for a 2D model and no ``keypoint_score``, is split into ``(x, y)`` and the score."""
    from .inference import _as_annotation

    if isinstance(sample, dict) and 'keypoint_score' not in sample:
        ann = dict(sample)
        ann.update(_as_annotation(np.asarray(sample['keypoint']), model))
        return ann
    return _as_annotation(sample, model)


def predict_clips(model, samples: List[Union[dict, np.ndarray]], topk: int = 5) -> List[dict]:
    """Classify each sample as one clip (the config's test pipeline, as :func:`inference_recognizer`).

    Returns:
        list[dict]: per sample ``dict(frame_dir, total_frames, topk=[Prediction(label, score, name), ...])``.
    """
    from .inference import inference_recognizer

    out = []
    for i, sample in enumerate(samples):
        ann = as_model_input(model, sample)
        name = ann.get('frame_dir', f'sample {i}')
        try:
            top = inference_recognizer(model, ann, topk=topk)
        except ValueError as e:
            raise ValueError(f'{name}: {e}') from None
        out.append(dict(frame_dir=name, total_frames=int(np.shape(ann['keypoint'])[1]), topk=top))
    return out

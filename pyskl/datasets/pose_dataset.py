"""``PoseDataset``: skeleton annotations of PYSKL / MMAction2 pickles, validated at load time."""
import logging
import pickle
from collections import Counter
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log

from pyskl.registry import DATASETS, TRANSFORMS
from .io import safe_load_pickle

__all__ = ['PoseDataset', 'resolve_key', 'make_rng', 'build_in_pyskl_scope']

#: Keys that name a sample, in order of preference. PYSKL uses ``frame_dir``; some MMAction2
#: annotation files use ``filename`` (MMAction2 calls the chosen key the "identifier").
IDENTIFIER_KEYS = ('frame_dir', 'filename', 'identifier')

#: How many problems a validation error lists before summarising the rest.
MAX_LISTED_PROBLEMS = 10


def build_in_pyskl_scope(registry, cfg: dict):
    """``registry.build(cfg)`` in the ``pyskl`` scope unless ``cfg`` names its own ``_scope_``, so
    that ``type='UniformSampleFrames'`` resolves whatever the current default scope is (a Runner
    built with ``default_scope='mmengine'`` leaves that scope current)."""
    cfg = dict(cfg)
    cfg.setdefault('_scope_', 'pyskl')
    return registry.build(cfg)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def resolve_key(key, length: int) -> Tuple[int, Optional[Tuple[int, int, int]]]:
    """Validate a dataset key and split it into ``(index, seeds)``.

    Args:
        key (int | tuple): One of
            - ``index`` (int, negative counts from the end): unseeded, ``seeds`` is None;
            - ``(index, seed, epoch)``, as yielded by :class:`~pyskl.datasets.SeededSampler`:
              ``seeds = (seed, epoch, index)``;
            - ``(index, seed, epoch, rng_index)``, as passed on by
              :class:`~pyskl.datasets.RepeatDataset`: ``seeds = (seed, epoch, rng_index)``.
        length (int): Length of the dataset, to check the index and resolve negative ones.

    Returns:
        tuple: ``index`` in ``[0, length)`` and ``seeds`` (see :func:`make_rng`).

    Raises:
        IndexError: if the index is out of range.
        TypeError / ValueError: if the key has another form.
    """
    if _is_int(key):
        index = int(key)
    elif isinstance(key, tuple) and len(key) in (3, 4) and all(_is_int(k) for k in key):
        index = int(key[0])
    else:
        raise TypeError(f'dataset key must be an int or a tuple of ints (index, seed, epoch[, rng_index]), '
                        f'got {key!r}')
    if not -length <= index < length:
        raise IndexError(f'dataset index {index} out of range for a dataset of {length} samples')
    index %= length
    if _is_int(key):
        return index, None
    seed, epoch = int(key[1]), int(key[2])
    rng_index = index if len(key) == 3 else int(key[3])
    if epoch < 0 or rng_index < 0:
        raise ValueError(f'dataset key {key!r}: epoch and rng_index must be >= 0')
    return index, (seed, epoch, rng_index)


def make_rng(seeds: Optional[Tuple[int, int, int]]) -> np.random.Generator:
    """The per-sample generator: ``np.random.default_rng([seed, epoch, rng_index])`` for
    ``seeds = (seed, epoch, rng_index)`` (``seed`` taken modulo ``2**64``, as numpy seeds must be
    non-negative), or ``np.random.default_rng()`` (fresh OS entropy: an unseeded request is
    random, as users expect) for ``seeds=None``."""
    if seeds is None:
        return np.random.default_rng()
    seed, epoch, rng_index = seeds
    return np.random.default_rng([seed % 2**64, epoch, rng_index])


class _Problems:
    """Collects validation problems and raises them together in one ``ValueError``."""

    def __init__(self, source: str):
        self.source = source
        self.items: List[Tuple[str, str]] = []  # (kind, message)
        self.samples = set()

    def add(self, sample: str, field: str, kind: str, message: str) -> None:
        self.samples.add(sample)
        self.items.append((f'{field}: {kind}', f'{self.source}: {sample}: field {field!r}: {message}'))

    def raise_if_any(self, context: str) -> None:
        if not self.items:
            return
        # show the first problem of every kind, then fill up with the next ones in file order
        first_of_kind = {}
        for i, (kind, _) in enumerate(self.items):
            first_of_kind.setdefault(kind, i)
        shown = sorted(first_of_kind.values())[:MAX_LISTED_PROBLEMS]
        for i in range(len(self.items)):
            if len(shown) >= MAX_LISTED_PROBLEMS:
                break
            if i not in shown:
                shown.append(i)
        shown.sort()
        lines = [f'{self.source}: {len(self.items)} problem(s) in {len(self.samples)} sample(s) of {context}:']
        lines += [f'  - {self.items[i][1]}' for i in shown]
        if len(self.items) > len(shown):
            lines.append(f'  ... and {len(self.items) - len(shown)} more')
        counts = Counter(kind for kind, _ in self.items)
        lines.append('  counts: ' + '; '.join(f'{kind} x{n}' for kind, n in counts.items()))
        raise ValueError('\n'.join(lines))


def _identifier(ann: dict):
    for key in IDENTIFIER_KEYS:
        if key in ann:
            return ann[key]
    return None


@DATASETS.register_module()
class PoseDataset(BaseDataset):
    """Skeleton action recognition dataset of PYSKL / MMAction2 annotation pickles.

    The annotation file (read with :func:`pyskl.datasets.io.safe_load_pickle`, which refuses
    any pickle that could run code) is either
    ``dict(split=dict(name=[frame_dir, ...], ...), annotations=[ann, ...])`` or, in the old
    format, a bare list ``[ann, ...]`` (then ``split`` must be None). Each ``ann`` holds

    - ``frame_dir`` (str): the sample's name (``filename`` or ``identifier`` are accepted too);
    - ``label`` (int): class index in ``[0, num_classes)``;
    - ``keypoint``: float array ``(M, T, V, C)``, persons x frames x joints x channels,
      ``C`` 3 for 3D ``(x, y, z)`` and 2 for 2D ``(x, y)``;
    - ``keypoint_score``: ``(M, T, V)`` joint confidences, required for 2D data;
    - ``total_frames`` (int): ``T`` (derived from ``keypoint`` when absent);
    - optionally ``img_shape``, ``original_shape`` ``(h, w)``, and PYSKL's ``valid`` /
      ``box_score`` for ``valid_ratio`` filtering.

    Every sample of the chosen split is checked when the dataset is (fully) initialised, so
    broken data fails before training starts; one ``ValueError`` lists the first problems of
    every kind (each naming the file, the sample as ``annotations[i]`` with its ``frame_dir``,
    and the field) and counts them all.

    ``dataset[key]`` returns ``pipeline(results)``, where ``results`` is a copy of the
    annotation dict plus ``test_mode`` (this dataset's), ``rng`` (a ``numpy.random.Generator``,
    see :func:`make_rng` for how it follows from ``key``), ``sample_idx`` (index inside the
    split), ``modality='Pose'`` and ``start_index=0``.

    Copies: with ``serialize_data=True`` (default) the annotations are kept as one pickled
    buffer shared by dataloader workers and every access unpickles a fresh copy, so transforms
    own the arrays they get. With ``serialize_data=False`` ``results`` is a shallow copy of the
    stored dict whose arrays are made read-only: a transform that writes into ``keypoint`` in
    place fails loudly instead of corrupting the stored annotation (transforms write new arrays).

    Args:
        ann_file (str): The annotation pickle.
        pipeline (list[dict | callable]): Transforms; dicts are built from
            ``pyskl.registry.TRANSFORMS`` in the ``pyskl`` scope
            (e.g. ``dict(type='UniformSampleFrames', clip_len=100)``).
        split (str | None): Name of the split to use, e.g. ``'xsub_train'``. Required when the
            file has splits; must be None for a bare list. Defaults to None.
        valid_ratio (float | None): PYSKL's 2D-detection filter: when a positive float, keep the
            samples with ``ann['valid'][box_thr] / total_frames >= valid_ratio`` and set
            ``ann['anno_inds'] = ann['box_score'] >= box_thr``. Samples without ``valid`` are
            kept unfiltered. ``valid`` and ``box_score`` are dropped afterwards (as PYSKL).
            Defaults to None (no filtering).
        box_thr (float | None): The box-score threshold for ``valid_ratio``, a key of
            ``ann['valid']`` (PYSKL uses 0.5 .. 0.9). Required when ``valid_ratio`` is set.
        memcached (bool): Accepted for PYSKL configs and ignored: annotations are always held in
            memory (serialised, shared by dataloader workers). Defaults to False.
        test_mode (bool): Passed to the transforms as ``results['test_mode']``. Defaults to False.
        layout (str | dict | None): Skeleton layout (see ``pyskl.models.utils.graph.get_layout``);
            when given, every sample's ``V`` must equal its ``num_node``. Defaults to None.
        num_classes (int | None): Number of classes; labels must lie in ``[0, num_classes)``.
            Defaults to None: ``max(label) + 1`` over the split (in ``metainfo``).
        metainfo (dict | None): Extra meta information (mmengine).
        data_root (str): Prefix joined to a relative ``ann_file`` (mmengine). Defaults to ''.
        indices (int | Sequence[int] | None): Keep only these samples of the split (mmengine).
        serialize_data (bool): See "Copies" above. Defaults to True.
        lazy_init (bool): Defer loading and validation to :meth:`full_init` (mmengine).
            Defaults to False.

    ``metainfo`` holds ``num_classes``, ``layout`` and ``split``.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: Sequence[Union[dict, Callable]],
                 split: Optional[str] = None,
                 valid_ratio: Optional[float] = None,
                 box_thr: Optional[float] = None,
                 memcached: bool = False,
                 test_mode: bool = False,
                 layout: Union[str, dict, None] = None,
                 num_classes: Optional[int] = None,
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 indices: Union[int, Sequence[int], None] = None,
                 serialize_data: bool = True,
                 lazy_init: bool = False):
        if split is not None and not isinstance(split, str):
            raise TypeError(f'PoseDataset: split must be a str or None, got {split!r}')
        if valid_ratio is not None:
            if not isinstance(valid_ratio, (int, float)) or not 0 <= valid_ratio <= 1:
                raise ValueError(f'PoseDataset: valid_ratio must be a number in [0, 1] or None, got {valid_ratio!r}')
            if valid_ratio > 0 and box_thr is None:
                raise ValueError('PoseDataset: valid_ratio needs box_thr (the key of ann["valid"] to use)')
        if num_classes is not None and (not _is_int(num_classes) or num_classes < 1):
            raise ValueError(f'PoseDataset: num_classes must be a positive int or None, got {num_classes!r}')
        self.split = split
        self.valid_ratio = valid_ratio
        self.box_thr = box_thr
        self.memcached = memcached  # accepted for PYSKL configs; no effect
        self.layout = layout
        self.num_node = None
        if layout is not None:
            from pyskl.models.utils.graph import get_layout  # lazy: keep `import pyskl.datasets` light
            self.num_node = get_layout(layout).num_node
        self.num_classes = None if num_classes is None else int(num_classes)
        transforms = []
        for transform in pipeline:
            if isinstance(transform, dict):
                transform = build_in_pyskl_scope(TRANSFORMS, transform)
            if not callable(transform):
                raise TypeError(f'PoseDataset: pipeline entries must be dicts or callables, got {transform!r}')
            transforms.append(transform)
        super().__init__(ann_file=ann_file, metainfo=metainfo, data_root=data_root, data_prefix=dict(),
                         indices=indices, serialize_data=serialize_data, pipeline=transforms,
                         test_mode=test_mode, lazy_init=lazy_init)
        # set here, not through `metainfo=`: mmengine would try to open the strings as meta files
        self._metainfo.update(layout=layout, split=split)
        if self.num_classes is not None:
            self._metainfo['num_classes'] = self.num_classes

    # ------------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        """Read the annotation file, select the split and validate every selected sample.

        Returns:
            list[dict]: The annotations of the split, in file order.

        Raises:
            ValueError: listing the problems found (see the class docstring).
        """
        raw = safe_load_pickle(self.ann_file)
        selected = self._select_split(raw)
        problems = _Problems(self.ann_file)
        data_list = [self._check_sample(i, ann, problems) for i, ann in selected]
        context = f'split {self.split!r}' if self.split is not None else 'the file'
        problems.raise_if_any(context)
        labels = [int(ann['label']) for ann in data_list]
        if self.num_classes is None:
            self._metainfo['num_classes'] = max(labels) + 1
        return data_list

    def _select_split(self, raw) -> List[Tuple[int, dict]]:
        """``(index in the file's annotation list, annotation)`` of the samples of ``self.split``."""
        src = self.ann_file
        if isinstance(raw, dict):
            if 'annotations' not in raw:
                raise ValueError(f'{src}: expected dict(split=..., annotations=[...]) or a list of annotation '
                                 f'dicts, got a dict with keys {sorted(map(str, raw))}')
            annotations = raw['annotations']
            splits = raw.get('split')
        elif isinstance(raw, (list, tuple)):
            annotations, splits = raw, None
            if self.split is not None:
                raise ValueError(f'{src}: the file is a bare list of annotations (old format) and has no '
                                 f'splits; use split=None instead of split={self.split!r}')
        else:
            raise ValueError(f'{src}: expected dict(split=..., annotations=[...]) or a list of annotation '
                             f'dicts, got {type(raw).__name__}')
        if not isinstance(annotations, (list, tuple)):
            raise ValueError(f"{src}: field 'annotations' must be a list of dicts, got {type(annotations).__name__}")
        if splits is not None and not isinstance(splits, dict):
            raise ValueError(f"{src}: field 'split' must be a dict {{name: [frame_dir, ...]}}, "
                             f'got {type(splits).__name__}')

        if self.split is None:
            if splits:
                raise ValueError(f'{src}: the file has the splits {sorted(splits)}; choose one with split=<name> '
                                 '(split=None would mix training and evaluation samples)')
            selected = list(enumerate(annotations))
            if not selected:
                raise ValueError(f'{src}: the file holds no annotations')
            return selected

        if not splits:
            raise ValueError(f"{src}: split={self.split!r} requested but the file has no 'split' dict; "
                             'use split=None')
        if self.split not in splits:
            raise ValueError(f'{src}: split {self.split!r} not found; available splits: {sorted(splits)}')
        names = set(splits[self.split])
        if not names:
            raise ValueError(f'{src}: split {self.split!r} is empty')
        selected, found = [], set()
        for i, ann in enumerate(annotations):
            if not isinstance(ann, dict):
                selected.append((i, ann))  # reported by _check_sample
                continue
            for key in IDENTIFIER_KEYS:
                name = ann.get(key)
                if isinstance(name, str) and name in names:
                    selected.append((i, ann))
                    found.add(name)
                    break
        if not found:
            raise ValueError(f'{src}: none of the {len(names)} names of split {self.split!r} matches the '
                             f'frame_dir of an annotation (e.g. {sorted(names)[0]!r})')
        if len(found) < len(names):
            missing = sorted(names - found)
            print_log(f'{src}: {len(missing)} of the {len(names)} names of split {self.split!r} have no '
                      f'annotation (e.g. {missing[0]!r}); they are skipped',
                      logger='current', level=logging.WARNING)
        return selected

    def _check_sample(self, i: int, ann, problems: _Problems) -> dict:
        """Check one annotation, reporting its problems to ``problems``; fill in derived fields."""
        if not isinstance(ann, dict):
            problems.add(f'sample annotations[{i}]', '<annotation>', 'type',
                         f'an annotation must be a dict, got {type(ann).__name__}')
            return ann
        name = _identifier(ann)
        sample = f'sample annotations[{i}] (frame_dir={name!r})'

        def bad(field, kind, message):
            problems.add(sample, field, kind, message)

        if name is None:
            bad('frame_dir', 'missing', 'missing (no frame_dir, filename or identifier)')
        elif 'frame_dir' not in ann:
            ann['frame_dir'] = name

        if 'label' not in ann:
            bad('label', 'missing', 'missing')
        else:
            label = ann['label']
            if not _is_int(label):
                bad('label', 'type', f'must be an int, got {label!r} ({type(label).__name__})')
            elif label < 0:
                bad('label', 'range', f'{label} is negative')
            elif self.num_classes is not None and label >= self.num_classes:
                bad('label', 'range', f'{label} is out of range [0, {self.num_classes}) '
                                      f'(num_classes={self.num_classes})')

        kp = ann.get('keypoint')
        if 'keypoint' not in ann:
            bad('keypoint', 'missing', 'missing')
            return ann
        if not isinstance(kp, np.ndarray) or kp.dtype.kind not in 'fiu':
            what = f'array of dtype {kp.dtype}' if isinstance(kp, np.ndarray) else type(kp).__name__
            bad('keypoint', 'type', f'must be a numeric numpy array (M, T, V, C), got {what}')
            return ann
        if kp.ndim != 4 or kp.shape[-1] not in (2, 3):
            bad('keypoint', 'shape', f'must be (M, T, V, C) with C in {{2, 3}}, got shape {kp.shape}')
            return ann
        num_person, num_frames, num_joints, channels = kp.shape
        if self.num_node is not None and num_joints != self.num_node:
            bad('keypoint', 'joints', f'has V={num_joints} joints (shape {kp.shape}) but layout {self.layout!r} '
                                      f'has {self.num_node}')
        if num_frames == 0:
            bad('keypoint', 'empty', f'has no frames (shape {kp.shape})')
        self._check_finite(kp, 'keypoint', bad)

        if 'total_frames' not in ann:
            ann['total_frames'] = num_frames
        else:
            total = ann['total_frames']
            if not _is_int(total) or total != num_frames:
                bad('total_frames', 'mismatch', f'is {total!r} but keypoint has T={num_frames} frames '
                                                f'(shape {kp.shape})')

        if 'keypoint_score' in ann:
            score = ann['keypoint_score']
            if not isinstance(score, np.ndarray) or score.dtype.kind not in 'fiu':
                bad('keypoint_score', 'type', f'must be a numeric numpy array (M, T, V), got {type(score).__name__}')
            elif score.shape != kp.shape[:3]:
                bad('keypoint_score', 'shape', f'must be (M, T, V) = {kp.shape[:3]} to match keypoint, '
                                               f'got shape {score.shape}')
            else:
                self._check_finite(score, 'keypoint_score', bad)
        elif channels == 2:
            bad('keypoint_score', 'missing', f'missing: 2D keypoints (shape {kp.shape}) need keypoint_score (M, T, V)')
        return ann

    @staticmethod
    def _check_finite(array: np.ndarray, field: str, bad) -> None:
        if array.dtype.kind != 'f':
            return
        # one float64 reduction: finite iff every element is finite (no overflow for float32/16 data)
        if np.isfinite(np.add.reduce(array, axis=None, dtype=np.float64)):
            return
        not_finite = ~np.isfinite(array)
        count = int(np.count_nonzero(not_finite))
        if count:
            first = tuple(int(x) for x in np.argwhere(not_finite)[0])
            bad(field, 'not finite', f'has {count} NaN/Inf value(s), the first at index {first}')

    def filter_data(self) -> List[dict]:
        """Apply PYSKL's ``valid_ratio`` / ``box_thr`` filter and drop ``valid`` / ``box_score``."""
        data_list = self.data_list
        if self.valid_ratio is not None and self.valid_ratio > 0:
            kept = []
            for info in data_list:
                valid = info.get('valid')
                if valid is None:
                    kept.append(info)
                    continue
                if not isinstance(valid, dict) or self.box_thr not in valid:
                    keys = sorted(valid) if isinstance(valid, dict) else type(valid).__name__
                    raise ValueError(f'{self.ann_file}: sample frame_dir={info["frame_dir"]!r}: field \'valid\': '
                                     f'no entry for box_thr={self.box_thr!r} (has {keys})')
                if valid[self.box_thr] / info['total_frames'] < self.valid_ratio:
                    continue
                if 'box_score' in info:
                    info['anno_inds'] = np.asarray(info['box_score']) >= self.box_thr
                kept.append(info)
            if not kept:
                raise ValueError(f'{self.ann_file}: no sample of {self.split!r} is left after valid_ratio='
                                 f'{self.valid_ratio} filtering (box_thr={self.box_thr})')
            print_log(f'{self.ann_file}: {len(kept)} of {len(data_list)} samples remain after valid_ratio='
                      f'{self.valid_ratio} filtering', logger='current')
            data_list = kept
        for info in data_list:
            info.pop('valid', None)
            info.pop('box_score', None)
            for value in info.values():
                if isinstance(value, np.ndarray):
                    value.flags.writeable = False
        return data_list

    def _serialize_data(self) -> Tuple[np.ndarray, np.ndarray]:
        """Pickle the annotations into one ``uint8`` buffer (mmengine's layout: ``data_bytes`` and
        the cumulative ``data_address``), shared by dataloader workers.

        Unlike mmengine's version, each annotation is released as soon as it is serialised (lower
        peak memory for NTU-sized files) and no full ``gc.collect()`` runs (0.2 s or more per
        dataset once torch is imported; annotations hold no reference cycles).
        """
        data_list = self.data_list
        data_list.reverse()
        chunks = []
        while data_list:
            chunks.append(np.frombuffer(pickle.dumps(data_list.pop(), protocol=4), dtype=np.uint8))
        data_address = np.cumsum([len(chunk) for chunk in chunks], dtype=np.int64)
        data_bytes = np.concatenate(chunks)
        return data_bytes, data_address

    # ------------------------------------------------------------------ access
    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The annotation of sample ``idx`` (negative counts from the end) plus ``sample_idx``.

        A fresh copy with ``serialize_data=True``; a shallow copy with read-only arrays otherwise.
        """
        idx, _ = resolve_key(idx, len(self))
        if self.serialize_data:
            return super().get_data_info(idx)
        info = dict(self.data_list[idx])
        info['sample_idx'] = idx
        return info

    def get_cat_ids(self, idx: int) -> List[int]:
        """``[label]`` of sample ``idx`` (used by mmengine's ``ClassBalancedDataset``)."""
        return [int(self.get_data_info(idx)['label'])]

    def prepare_data(self, key) -> dict:
        """``pipeline(results)`` for a key of :func:`resolve_key` (int or seeded tuple)."""
        index, seeds = resolve_key(key, len(self))
        results = self.get_data_info(index)
        results.update(test_mode=self.test_mode, rng=make_rng(seeds), modality='Pose', start_index=0)
        data = self.pipeline(results)
        if data is None:
            raise RuntimeError(f'{self.ann_file}: the pipeline returned None for sample {index} '
                               f'(frame_dir={results.get("frame_dir")!r}); skeleton transforms must not drop samples')
        return data

    def __getitem__(self, key) -> dict:
        """``pipeline(results)`` of the sample named by ``key`` (int, ``(index, seed, epoch)`` or
        ``(index, seed, epoch, rng_index)``; see :func:`resolve_key` and :func:`make_rng`)."""
        if not self._fully_initialized:
            print_log('PoseDataset: call full_init() before handing a lazily initialised dataset to '
                      'dataloader workers, or each worker loads the annotations again',
                      logger='current', level=logging.WARNING)
            self.full_init()
        return self.prepare_data(key)

    def __repr__(self) -> str:
        n = len(self) if self._fully_initialized else 'not loaded'
        return (f'{type(self).__name__}(ann_file={self.ann_file!r}, split={self.split!r}, samples={n}, '
                f'test_mode={self.test_mode}, layout={self.layout!r})')

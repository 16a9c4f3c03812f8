"""``PoseDataset``: skeleton annotations of PYSKL / MMAction2 pickles, validated at load time."""

import logging
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log

from pyskl.core.keys import make_rng, resolve_key
from pyskl.registry import DATASETS, TRANSFORMS, build_in_pyskl_scope
from pyskl.core.annotations import filter_valid_ratio, load_annotations
from pyskl.core.compressed import KpfileReader
from pyskl.core.validation import check_options

from .serialization import serialize_annotations

__all__ = ['PoseDataset']


@DATASETS.register_module()
class PoseDataset(BaseDataset):
    """Skeleton action recognition dataset of PYSKL / MMAction2 annotation pickles.

    The annotation file (read with :func:`pyskl.core.io.safe_load_pickle`, which refuses
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

    PYSKL's compressed samples (its Kinetics-400 ``k400_hrnet.pkl``) are accepted too: ``frame_inds`` plus
    ``keypoint`` ``(N, V, 3)`` skeleton instances, or ``raw_file``, the kpfile that holds them (read when the sample
    is loaded, the last ``max_kpfiles`` kpfiles kept in memory per process); the pipeline must start with
    ``DecompressPose``. See :mod:`pyskl.core.compressed`.

    Every sample of the chosen split is checked when the dataset is (fully) initialised, so
    broken data fails before training starts; one ``ValueError`` lists the first problems of
    every kind (each naming the file, the sample as ``annotations[i]`` with its ``frame_dir``,
    and the field) and counts them all. The checks (duplicate or missing ``frame_dir``, ``M = 0``,
    NaN/Inf, all-zero and out-of-bound coordinates, train/val overlap, ...) are listed in
    :mod:`pyskl.core.validation`.

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
            memory (serialised, shared by dataloader workers), kpfiles read from disk. Defaults to False.
        max_kpfiles (int): Kpfiles (``raw_file``) kept loaded per process. Defaults to 2.
        test_mode (bool): Passed to the transforms as ``results['test_mode']``. Defaults to False.
        layout (str | dict | None): Skeleton layout (see ``pyskl.core.layout.get_layout``);
            when given, every sample's ``V`` must equal its ``stored_num_node`` (its ``num_node``, or, for a
            layout the pipeline derives, e.g. ``'coco_new'``, that of the stored layout). Defaults to None.
        num_classes (int | None): Number of classes; labels must lie in ``[0, num_classes)``.
            Defaults to None: ``max(label) + 1`` over the split (in ``metainfo``).
        value_checks (str): What a sample whose coordinates are all zero, or exceed ``value_bound``
            in magnitude, is: ``'warn'`` (logged and kept in ``data_warnings``; default),
            ``'error'`` (the dataset refuses to load) or ``'ignore'``. NaN/Inf are always errors.
        value_bound (float | None): The bound on ``|x|``. Defaults to None: 1e4 for 3D data
            (metres, or millimetres), 1e5 for 2D pixel data (``C = 2`` or with ``keypoint_score``);
            see :mod:`pyskl.core.validation`.
        metainfo (dict | None): Extra meta information (mmengine).
        data_root (str): Prefix joined to a relative ``ann_file`` (mmengine). Defaults to ''.
        indices (int | Sequence[int] | None): Keep only these samples of the split (mmengine).
        serialize_data (bool): See "Copies" above. Defaults to True.
        lazy_init (bool): Defer loading and validation to :meth:`full_init` (mmengine).
            Defaults to False.

    ``metainfo`` holds ``num_classes``, ``layout`` and ``split``.
    """

    def __init__(
        self,
        ann_file: str,
        pipeline: Sequence[Union[dict, Callable]],
        split: Optional[str] = None,
        valid_ratio: Optional[float] = None,
        box_thr: Optional[float] = None,
        memcached: bool = False,
        max_kpfiles: int = 2,
        test_mode: bool = False,
        layout: Union[str, dict, None] = None,
        num_classes: Optional[int] = None,
        value_checks: str = 'warn',
        value_bound: Optional[float] = None,
        metainfo: Optional[dict] = None,
        data_root: str = '',
        indices: Union[int, Sequence[int], None] = None,
        serialize_data: bool = True,
        lazy_init: bool = False,
    ):
        if split is not None and not isinstance(split, str):
            raise TypeError(f'PoseDataset: split must be a str or None, got {split!r}')
        if valid_ratio is not None:
            if not isinstance(valid_ratio, (int, float)) or not 0 <= valid_ratio <= 1:
                raise ValueError(f'PoseDataset: valid_ratio must be a number in [0, 1] or None, got {valid_ratio!r}')
            if valid_ratio > 0 and box_thr is None:
                raise ValueError('PoseDataset: valid_ratio needs box_thr (the key of ann["valid"] to use)')
        check_options('PoseDataset', num_classes, None, value_checks, value_bound)
        self.split = split
        self.value_checks = value_checks
        self.value_bound = None if value_bound is None else float(value_bound)
        #: The load-time warning report (a list of at most one str), filled by ``full_init``.
        self.data_warnings: List[str] = []
        self.valid_ratio = valid_ratio
        self.box_thr = box_thr
        self.memcached = memcached  # accepted for PYSKL configs; no effect
        KpfileReader.check_max_files(max_kpfiles)  # before any file is read
        self.layout = layout
        self.num_node = None
        if layout is not None:
            from pyskl.core.layout import get_layout

            self.num_node = get_layout(layout).stored_num_node
        self.num_classes = None if num_classes is None else int(num_classes)
        transforms = []
        for transform in pipeline:
            if isinstance(transform, dict):
                transform = build_in_pyskl_scope(TRANSFORMS, transform)
            if not callable(transform):
                raise TypeError(f'PoseDataset: pipeline entries must be dicts or callables, got {transform!r}')
            transforms.append(transform)
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(),
            indices=indices,
            serialize_data=serialize_data,
            pipeline=transforms,
            test_mode=test_mode,
            lazy_init=lazy_init,
        )
        self._kpfiles = KpfileReader(self.ann_file, max_kpfiles)  # the path with data_root joined by mmengine
        # set here, not through `metainfo=`: mmengine would try to open the strings as meta files
        self._metainfo.update(layout=layout, split=split)
        if self.num_classes is not None:
            self._metainfo['num_classes'] = self.num_classes

    # ------------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        """Read the annotation file, select the split and validate every selected sample
        (:mod:`pyskl.core.validation`); warnings are logged and kept in ``data_warnings``.

        Returns:
            list[dict]: The annotations of the split, in file order.

        Raises:
            IsADirectoryError: if ``ann_file`` is a directory.
            ValueError: listing the problems found (see the class docstring).
        """
        data_list, report = load_annotations(
            self.ann_file,
            self.split,
            num_node=self.num_node,
            layout=self.layout,
            num_classes=self.num_classes,
            value_checks=self.value_checks,
            value_bound=self.value_bound,
        )
        self.data_warnings = [report] if report else []
        if report:
            print_log(report, logger='current', level=logging.WARNING)
        labels = [int(ann['label']) for ann in data_list]
        if self.num_classes is None:
            self._metainfo['num_classes'] = max(labels) + 1
        return data_list

    def filter_data(self) -> List[dict]:
        """Apply PYSKL's ``valid_ratio`` / ``box_thr`` filter and drop ``valid`` / ``box_score``."""
        data_list, report = filter_valid_ratio(
            self.data_list, self.valid_ratio, self.box_thr, self.ann_file, self.split
        )
        if report:
            print_log(report, logger='current')
        for info in data_list:
            for value in info.values():
                if isinstance(value, np.ndarray):
                    value.flags.writeable = False
        return data_list

    def _serialize_data(self) -> Tuple[np.ndarray, np.ndarray]:
        """mmengine's hook, replaced by :func:`~pyskl.datasets.serialization.serialize_annotations`."""
        return serialize_annotations(self.data_list)

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
        if 'raw_file' in results:  # a compressed sample whose instances are in a kpfile
            results['keypoint'] = self._kpfiles.instances(results, self.num_node, self.layout)
        results.update(test_mode=self.test_mode, rng=make_rng(seeds), modality='Pose', start_index=0)
        data = self.pipeline(results)
        if data is None:
            raise RuntimeError(
                f'{self.ann_file}: the pipeline returned None for sample {index} '
                f'(frame_dir={results.get("frame_dir")!r}); skeleton transforms must not drop samples'
            )
        return data

    def __getitem__(self, key) -> dict:
        """``pipeline(results)`` of the sample named by ``key`` (int, ``(index, seed, epoch)`` or
        ``(index, seed, epoch, rng_index)``; see :func:`resolve_key` and :func:`make_rng`)."""
        if not self._fully_initialized:
            print_log(
                'PoseDataset: call full_init() before handing a lazily initialised dataset to '
                'dataloader workers, or each worker loads the annotations again',
                logger='current',
                level=logging.WARNING,
            )
            self.full_init()
        return self.prepare_data(key)

    def __repr__(self) -> str:
        n = len(self) if self._fully_initialized else 'not loaded'
        return (
            f'{type(self).__name__}(ann_file={self.ann_file!r}, split={self.split!r}, samples={n}, '
            f'test_mode={self.test_mode}, layout={self.layout!r})'
        )

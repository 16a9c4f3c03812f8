"""``RepeatDataset`` that keeps the per-sample generators of repeats distinct."""

from typing import Union

from mmengine.dataset import BaseDataset
from mmengine.dataset import RepeatDataset as _MMEngineRepeatDataset

from pyskl.registry import DATASETS
from pyskl.core.keys import resolve_key
from pyskl.registry import build_in_pyskl_scope

__all__ = ['RepeatDataset']


@DATASETS.register_module(name='RepeatDataset')
class RepeatDataset(_MMEngineRepeatDataset):
    """Repeat a dataset ``times`` times per epoch (PYSKL trains NTU with ``times=5``).

    ``len = times * len(dataset)``; index ``i`` is sample ``i % len(dataset)``. Keys:

    - ``i`` (int, negative counts from the end): ``dataset[i % n]`` (fresh, unseeded generator);
    - ``(i, seed, epoch)`` from :class:`~pyskl.datasets.SeededSampler`:
      ``dataset[(i % n, seed, epoch, i)]``: the inner dataset derives the generator from the
      OUTER index ``i`` (``np.random.default_rng([seed, epoch, i])``), so the ``times`` repeats
      of one sample in one epoch are augmented differently;
    - ``(i, seed, epoch, r)``: ``dataset[(i % n, seed, epoch, r)]`` (``r`` kept, for nested
      wrappers).

    In the ``pyskl`` scope this shadows mmengine's ``RepeatDataset``, and a config dict for
    ``dataset`` is built from ``pyskl.registry.DATASETS`` in the ``pyskl`` scope.

    Args:
        dataset (BaseDataset | dict): The dataset (accepting the keys above: ``PoseDataset`` or
            another ``RepeatDataset``) or its config.
        times (int): Number of repeats, >= 1.
        lazy_init (bool): Defer ``full_init`` of the wrapped dataset. Defaults to False.
    """

    def __init__(self, dataset: Union[BaseDataset, dict], times: int, lazy_init: bool = False):
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise ValueError(f'RepeatDataset: times must be an int >= 1, got {times!r}')
        if isinstance(dataset, dict):
            dataset = build_in_pyskl_scope(DATASETS, dataset)
        if not all(hasattr(dataset, attr) for attr in ('full_init', 'metainfo', '__getitem__', '__len__')):
            raise TypeError(
                f'RepeatDataset: dataset must be a config dict or a dataset with full_init and '
                f'metainfo (a BaseDataset or a wrapper), got {type(dataset).__name__}'
            )
        # mmengine's __init__ admits only BaseDataset; wrappers (nested repeats) are fine here
        self.dataset = dataset
        self.times = times
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's current meta information (a copy; complete after ``full_init``)."""
        return self.dataset.metainfo

    def __getitem__(self, key):
        if not self._fully_initialized:
            self.full_init()
        index, seeds = resolve_key(key, len(self))
        inner = index % self._ori_len
        if seeds is None:
            return self.dataset[inner]
        seed, epoch, rng_index = seeds
        return self.dataset[(inner, seed, epoch, rng_index)]

    def __repr__(self) -> str:
        return f'{type(self).__name__}(times={self.times}, dataset={self.dataset!r})'

"""The dataset key / seed protocol: every sample's augmentation is a function of ``(seed, epoch, index)``.

:class:`~pyskl.datasets.SeededSampler` yields keys ``(index, seed, epoch)``, :class:`~pyskl.datasets.RepeatDataset`
passes on ``(index, seed, epoch, rng_index)``; :func:`resolve_key` validates a key and :func:`make_rng` turns its
seeds into the per-sample ``numpy.random.Generator`` (``results['rng']``). Nothing touches numpy's global RNG.
"""

from typing import Optional, Tuple

import numpy as np

from .validation import is_int

__all__ = ['resolve_key', 'make_rng']


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
    if is_int(key):
        index = int(key)
    elif isinstance(key, tuple) and len(key) in (3, 4) and all(is_int(k) for k in key):
        index = int(key[0])
    else:
        raise TypeError(f'dataset key must be an int or a tuple of ints (index, seed, epoch[, rng_index]), got {key!r}')
    if not -length <= index < length:
        raise IndexError(f'dataset index {index} out of range for a dataset of {length} samples')
    index %= length
    if is_int(key):
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

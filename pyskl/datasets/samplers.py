"""``SeededSampler``: mmengine's ``DefaultSampler`` that also hands out the augmentation seed."""

import math
from typing import Iterator, Optional, Sized, Tuple

from mmengine.dataset import DefaultSampler

from pyskl.registry import DATA_SAMPLERS

__all__ = ['SeededSampler']


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """A DDP-aware sampler yielding ``(index, seed, epoch)`` instead of ``index``.

    The order is exactly mmengine's ``DefaultSampler``'s (a permutation drawn from
    ``seed + epoch`` when ``shuffle``, padded by repetition to a multiple of the world size
    when ``round_up``, then every ``world_size``-th index from ``rank``). Each index comes with
    ``seed`` and ``epoch``, from which :class:`~pyskl.datasets.PoseDataset` derives the sample's
    generator ``np.random.default_rng([seed, epoch, index])``: the augmentation of a sample
    depends only on ``(seed, epoch, index)``, not on the number of dataloader workers, the
    batch composition or whether the run was resumed.

    Epoch: mmengine 0.10.7's ``EpochBasedTrainLoop`` does not call ``set_epoch`` itself; the
    ``DistSamplerSeedHook`` (one of the Runner's default hooks, ``sampler_seed``) calls
    ``set_epoch(runner.epoch)`` in ``before_train_epoch``, and on resume ``runner.epoch`` is
    restored from the checkpoint first, so a resumed epoch gets the same ``epoch`` (and the same
    order and augmentation) as in an uninterrupted run. Keep that hook enabled.

    Args:
        dataset (Sized): The dataset; it must accept ``(index, seed, epoch)`` keys
            (``PoseDataset``, ``RepeatDataset``).
        shuffle (bool): Shuffle every epoch. Defaults to True.
        seed (int | None): Shuffle and augmentation seed, identical on all ranks. Defaults to
            None: a random seed synchronised across ranks (``mmengine.dist.sync_random_seed``);
            under the Runner it is the run's ``randomness.seed``.
        round_up (bool): Pad the epoch to a multiple of the world size. Defaults to True.
        rank (int | None): This process's rank. Defaults to None: from
            ``mmengine.dist.get_dist_info()``. Give both ``rank`` and ``world_size`` to split an
            epoch by hand (e.g. in tests).
        world_size (int | None): Number of processes. Defaults to None (see ``rank``).
    """

    def __init__(
        self,
        dataset: Sized,
        shuffle: bool = True,
        seed: Optional[int] = None,
        round_up: bool = True,
        rank: Optional[int] = None,
        world_size: Optional[int] = None,
    ) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed, round_up=round_up)
        if (rank is None) != (world_size is None):
            raise ValueError('SeededSampler: give both rank and world_size, or neither')
        if rank is not None:
            if not 0 <= rank < world_size:
                raise ValueError(f'SeededSampler: rank {rank} outside [0, world_size={world_size})')
            self.rank, self.world_size = rank, world_size
            if self.round_up:
                self.num_samples = math.ceil(len(self.dataset) / world_size)
                self.total_size = self.num_samples * world_size
            else:
                self.num_samples = math.ceil((len(self.dataset) - rank) / world_size)
                self.total_size = len(self.dataset)

    def __iter__(self) -> Iterator[Tuple[int, int, int]]:
        """Yield ``(index, seed, epoch)`` for this rank's share of the epoch."""
        seed, epoch = self.seed, self.epoch
        for index in super().__iter__():
            yield (index, seed, epoch)

"""SeededSampler: DefaultSampler's order plus (seed, epoch); rank split; determinism with workers."""

import numpy as np
import pytest
from mmengine.dataset import DefaultSampler, pseudo_collate
from torch.utils.data import DataLoader

from pyskl.datasets import PoseDataset, SeededSampler
from pyskl.registry import DATA_SAMPLERS, TRANSFORMS


@TRANSFORMS.register_module(name='_TestSamplerDraw', force=True)
class _TestSamplerDraw:
    def __call__(self, results):
        return dict(sample_idx=results['sample_idx'], draw=float(results['rng'].random()))


def test_yields_index_seed_epoch_in_default_sampler_order():
    data = list(range(11))
    sampler = SeededSampler(data, shuffle=True, seed=5)
    reference = DefaultSampler(data, shuffle=True, seed=5)
    keys = list(sampler)
    assert len(keys) == len(sampler) == 11
    assert [k[0] for k in keys] == list(reference)
    assert all(k[1:] == (5, 0) for k in keys)
    assert sorted(k[0] for k in keys) == data
    sampler.set_epoch(3)
    reference.set_epoch(3)
    keys3 = list(sampler)
    assert [k[0] for k in keys3] == list(reference) != [k[0] for k in keys]
    assert all(k[1:] == (5, 3) for k in keys3)
    assert [k[0] for k in SeededSampler(data, shuffle=False, seed=5)] == data


@pytest.mark.parametrize('size,round_up', [(10, True), (11, True), (11, False)])
def test_two_ranks_partition_the_epoch(size, round_up):
    data = list(range(size))
    ranks = [SeededSampler(data, seed=9, round_up=round_up, rank=r, world_size=2) for r in (0, 1)]
    for s in ranks:
        s.set_epoch(2)
    keys = [list(s) for s in ranks]
    assert [len(k) for k in keys] == [len(s) for s in ranks]
    single = SeededSampler(data, seed=9, round_up=round_up)
    single.set_epoch(2)
    order = [k[0] for k in single]
    padded = (order * 2)[: sum(len(k) for k in keys)] if round_up else order
    assert [k[0] for k in keys[0]] == padded[0::2]
    assert [k[0] for k in keys[1]] == padded[1::2]
    assert set(k[0] for k in keys[0]) | set(k[0] for k in keys[1]) == set(data)
    if size % 2 == 0 or not round_up:
        assert not set(k[0] for k in keys[0]) & set(k[0] for k in keys[1])
    assert all(k[1:] == (9, 2) for rank_keys in keys for k in rank_keys)


def test_arguments_and_registry():
    with pytest.raises(ValueError, match='both rank and world_size'):
        SeededSampler(list(range(4)), seed=0, rank=1)
    with pytest.raises(ValueError, match='rank 2 outside'):
        SeededSampler(list(range(4)), seed=0, rank=2, world_size=2)
    unseeded = SeededSampler(list(range(4)))
    assert isinstance(unseeded.seed, int)  # synchronised random seed
    built = DATA_SAMPLERS.build(dict(type='SeededSampler', shuffle=False), default_args=dict(dataset=[1, 2, 3], seed=4))
    assert isinstance(built, SeededSampler) and list(built) == [(0, 4, 0), (1, 4, 0), (2, 4, 0)]


def _draws(dataset, sampler, num_workers):
    loader = DataLoader(dataset, batch_size=3, sampler=sampler, num_workers=num_workers, collate_fn=pseudo_collate)
    return [(i, d) for batch in loader for i, d in zip(batch['sample_idx'], batch['draw'])]


@pytest.mark.slow
def test_augmentation_independent_of_workers_and_restart(annfac):
    path, _ = annfac.file(n_train=8, n_val=1)
    dataset = PoseDataset(path, [dict(type='_TestSamplerDraw')], split='train')
    sampler = SeededSampler(dataset, seed=3)
    epochs = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        epochs.append(_draws(dataset, sampler, num_workers=0))
    assert epochs[0] != epochs[1]
    assert sorted(i for i, _ in epochs[0]) == list(range(8))
    # a fresh process-side sampler (as after a resume) with 2 workers sees the same epoch 1
    restarted = SeededSampler(dataset, seed=3)
    restarted.set_epoch(1)
    assert _draws(dataset, restarted, num_workers=2) == epochs[1]
    expected = [(i, float(np.random.default_rng([3, 1, i]).random())) for i, _ in epochs[1]]
    assert epochs[1] == expected

"""RepeatDataset: length, keys, distinct generators per repeat; the data flow under mmengine's Runner."""

import numpy as np
import pytest
import torch
from mmengine import DefaultScope
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from pyskl.datasets import PoseDataset, RepeatDataset, SeededSampler
from pyskl.registry import DATASETS, TRANSFORMS


@TRANSFORMS.register_module(name='_TestWrapperDraw', force=True)
class _TestWrapperDraw:
    """Packs ``sample_idx`` and one draw of ``results['rng']`` as a model input."""

    def __call__(self, results):
        draw = float(results['rng'].random())
        return dict(
            inputs=torch.tensor([draw]),
            data_samples=dict(sample_idx=results['sample_idx'], frame_dir=results['frame_dir'], draw=draw),
        )


def _repeat(path, times=3, **kwargs):
    return RepeatDataset(
        dict(type='PoseDataset', ann_file=path, pipeline=[dict(type='_TestWrapperDraw')], split='train', **kwargs),
        times=times,
    )


def test_length_and_keys(annfac):
    path, data = annfac.file(n_train=4, n_val=2)
    dataset = _repeat(path, times=3, layout='nturgb+d')
    assert isinstance(dataset.dataset, PoseDataset)
    assert len(dataset) == 12
    assert dataset.metainfo == dataset.dataset.metainfo == dict(num_classes=4, layout='nturgb+d', split='train')
    assert [dataset[i]['data_samples']['sample_idx'] for i in range(12)] == [0, 1, 2, 3] * 3
    assert dataset[-1]['data_samples']['sample_idx'] == 3 and dataset[-12]['data_samples']['sample_idx'] == 0
    with pytest.raises(IndexError):
        dataset[12]
    with pytest.raises(IndexError):
        dataset[(12, 0, 0)]
    with pytest.raises(TypeError, match='dataset key'):
        dataset[1.0]
    with pytest.raises(ValueError, match='times must be an int >= 1'):
        RepeatDataset(dataset.dataset, times=0)


def test_repeats_get_distinct_generators(annfac):
    path, _ = annfac.file(n_train=4, n_val=2)
    dataset = _repeat(path, times=3)
    draws = {i: dataset[(i, 5, 2)]['data_samples']['draw'] for i in range(12)}
    # sample 1 appears as outer indexes 1, 5, 9: three different augmentations ...
    assert len({draws[1], draws[5], draws[9]}) == 3
    # ... each a pure function of (seed, epoch, outer index)
    for i in (1, 5, 9):
        assert draws[i] == float(np.random.default_rng([5, 2, i]).random())
        assert dataset[(i, 5, 2)]['data_samples']['draw'] == draws[i]
        assert dataset.dataset[(1, 5, 2, i)]['data_samples']['draw'] == draws[i]
    assert dataset[(1, 5, 3)]['data_samples']['draw'] != draws[1]
    # times=1 is the plain dataset; nested wrappers keep the outermost index
    single = RepeatDataset(dataset.dataset, times=1)
    assert single[(2, 5, 2)]['data_samples']['draw'] == dataset.dataset[(2, 5, 2)]['data_samples']['draw']
    nested = RepeatDataset(dataset, times=2)
    assert len(nested) == 24
    assert nested[(13, 5, 2)]['data_samples']['draw'] == float(np.random.default_rng([5, 2, 13]).random())


def test_registry_lazy_init_and_collate(annfac):
    path, _ = annfac.file(n_train=4, n_val=2)
    dataset = DATASETS.build(
        dict(
            type='RepeatDataset',
            times=2,
            lazy_init=True,
            dataset=dict(
                type='PoseDataset',
                ann_file=path,
                split='train',
                lazy_init=True,
                pipeline=[dict(type='_TestWrapperDraw')],
            ),
        )
    )
    assert type(dataset) is RepeatDataset and not dataset._fully_initialized
    assert 'num_classes' not in dataset.metainfo  # derived from the labels when loaded
    dataset.full_init()
    assert dataset.metainfo['num_classes'] == 4
    assert len(dataset) == 8
    loader = DataLoader(dataset, batch_size=3, sampler=SeededSampler(dataset, seed=1), collate_fn=pseudo_collate)
    batches = list(loader)
    assert [len(b['inputs']) for b in batches] == [3, 3, 2]
    # pseudo_collate turns the per-sample dicts into a dict of lists
    assert sorted(i for b in batches for i in b['data_samples']['sample_idx']) == [0, 0, 1, 1, 2, 2, 3, 3]


class _RecordingModel(BaseModel):
    """A one-parameter model that records the (sample_idx, draw) pairs it is trained on."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs)
        if mode == 'loss':
            # pseudo_collate made the per-sample dicts a dict of lists
            self.seen += list(zip(data_samples['sample_idx'], data_samples['draw']))
            return dict(loss=((x - self.weight) ** 2).mean())
        return x * self.weight


@pytest.fixture
def restore_default_scope():
    """The Runner makes its default scope current; give the other tests back theirs."""
    saved = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


def _runner(work_dir, path):
    return Runner(
        model=_RecordingModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='pseudo_collate'),
            sampler=dict(type=SeededSampler, shuffle=True),
            dataset=dict(
                type=RepeatDataset,
                times=2,
                dataset=dict(
                    type='PoseDataset', ann_file=path, split='train', pipeline=[dict(type='_TestWrapperDraw')]
                ),
            ),
        ),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=None),
        randomness=dict(seed=11),
    )


@pytest.mark.slow
def test_runner_epochs_and_resumed_epoch(annfac, tmp_path, restore_default_scope):
    """Under mmengine's Runner the sampler gets the seed and the epoch (via DistSamplerSeedHook),
    and an epoch started after a resume sees the same samples and augmentations."""
    path, _ = annfac.file(n_train=5, n_val=2)
    full = _runner(tmp_path / 'full', path)
    full.train()
    seen = full.model.seen
    assert len(seen) == 2 * 10
    epoch0, epoch1 = seen[:10], seen[10:]
    assert sorted(i for i, _ in epoch0) == sorted(i for i, _ in epoch1) == sorted(list(range(5)) * 2)
    assert epoch0 != epoch1
    assert len({d for _, d in seen}) == 20  # every repeat of every epoch augmented differently

    # what resume restores: the loop's epoch/iteration counters, before the epoch starts
    resumed = _runner(tmp_path / 'resumed', path)
    resumed.train_loop._epoch, resumed.train_loop._iter = 1, 3
    resumed.train()
    assert resumed.model.seen == epoch1

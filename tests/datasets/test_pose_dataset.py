"""PoseDataset: formats, split selection, validation errors, keys and generators, copies."""

import pickle
import re

import numpy as np
import pytest
from mmengine.dataset import BaseDataset

from pyskl.core.io import UnsafePickleError
from pyskl.datasets import PoseDataset
from pyskl.registry import DATASETS, TRANSFORMS


@TRANSFORMS.register_module(name='_TestDrawTransform', force=True)
class _TestDrawTransform:
    """Records three draws of ``results['rng']`` (the way real augmentations use it)."""

    def __init__(self, n=3):
        self.n = n

    def __call__(self, results):
        results['draws'] = results['rng'].random(self.n)
        return results


def _pose(path, pipeline=(), **kwargs):
    return PoseDataset(ann_file=path, pipeline=list(pipeline), **kwargs)


# ------------------------------------------------------------------ formats and splits
@pytest.mark.parametrize('kind', ['ntu', 'coco'])
def test_split_selection_and_results(annfac, kind):
    path, data = annfac.file(kind, n_train=6, n_val=4, num_classes=5)
    train = _pose(path, split='train', layout='nturgb+d' if kind == 'ntu' else 'coco')
    val = _pose(path, split='val', test_mode=True)
    assert isinstance(train, BaseDataset)
    assert len(train) == 6 and len(val) == 4
    assert [train.get_data_info(i)['frame_dir'] for i in range(6)] == data['split']['train']
    assert [val.get_data_info(i)['frame_dir'] for i in range(4)] == data['split']['val']

    results = val[2]
    ann = data['annotations'][8]
    assert results['frame_dir'] == ann['frame_dir'] and results['label'] == ann['label']
    np.testing.assert_array_equal(results['keypoint'], ann['keypoint'])
    assert results['keypoint'].dtype == np.float32
    if kind == 'coco':
        np.testing.assert_array_equal(results['keypoint_score'], ann['keypoint_score'])
    assert results['sample_idx'] == 2 and results['test_mode'] is True
    assert results['modality'] == 'Pose' and results['start_index'] == 0
    assert isinstance(results['rng'], np.random.Generator)
    assert train[0]['test_mode'] is False

    # metainfo: num_classes derived (max label + 1 of the split) or given, layout, split
    assert train.metainfo == dict(num_classes=5, layout='nturgb+d' if kind == 'ntu' else 'coco', split='train')
    assert val.metainfo['num_classes'] == max(a['label'] for a in data['annotations'][6:]) + 1
    assert _pose(path, split='val', num_classes=60).metainfo['num_classes'] == 60


def test_bare_list_format(annfac):
    data = annfac.make(n_train=3, n_val=2)
    path = annfac.write(data['annotations'])
    dataset = _pose(path)
    assert len(dataset) == 5
    assert dataset[-1]['frame_dir'] == data['annotations'][-1]['frame_dir']
    with pytest.raises(ValueError, match=r'bare list.*split=None'):
        _pose(path, split='train')
    no_splits = annfac.write(dict(split=None, annotations=data['annotations']))  # the same, said as a dict
    with pytest.raises(ValueError, match=r'has no splits \(.*or split=None\); use split=None instead'):
        _pose(no_splits, split='train')
    assert len(_pose(no_splits)) == 5


def test_split_errors(annfac):
    path, data = annfac.file()
    with pytest.raises(ValueError, match=r"split 'xsub_train' not found; available splits: \['train', 'val'\]"):
        _pose(path, split='xsub_train')
    with pytest.raises(ValueError, match=r"splits \['train', 'val'\]; choose one"):
        _pose(path)
    data['split']['empty'] = []
    path = annfac.write(data)
    with pytest.raises(ValueError, match=re.escape(path) + r".*split 'empty' is empty"):
        _pose(path, split='empty')
    data['split']['other'] = ['nope1', 'nope2']
    path = annfac.write(data)
    with pytest.raises(ValueError, match=r"none of the 2 names of split 'other' matches"):
        _pose(path, split='other')


def test_split_by_filename_identifier(annfac):
    """MMAction2 files may name samples by ``filename``; frame_dir is filled in from it."""
    data = annfac.make(n_train=3, n_val=2)
    for ann in data['annotations']:
        ann['filename'] = ann.pop('frame_dir')
    dataset = _pose(annfac.write(data), split='val')
    assert [dataset[i]['frame_dir'] for i in range(2)] == data['split']['val']


def test_split_names_without_annotation_are_skipped(annfac):
    data = annfac.make(n_train=3, n_val=2)
    data['split']['train'].append('S999C001P001R001A001')
    dataset = _pose(annfac.write(data), split='train')
    assert len(dataset) == 3


def test_total_frames_derived(annfac):
    data = annfac.make(n_train=2, n_val=1)
    del data['annotations'][0]['total_frames']
    dataset = _pose(annfac.write(data), split='train')
    assert dataset[0]['total_frames'] == data['annotations'][0]['keypoint'].shape[1]


def test_unsafe_annotation_file_refused(annfac, tmp_path):
    import os

    class Evil:
        def __reduce__(self):
            return os.system, (f'touch {tmp_path / "pwned"}',)

    data = annfac.make(n_train=2, n_val=1)
    data['annotations'][0]['label'] = Evil()
    with pytest.raises(UnsafePickleError, match='system'):
        _pose(annfac.write(data), split='train')
    assert not (tmp_path / 'pwned').exists()


# ------------------------------------------------------------------ validation
def _set(key, value):
    def mutate(ann):
        ann[key] = value(ann) if callable(value) else value

    return mutate


def _delete(key):
    def mutate(ann):
        del ann[key]

    return mutate


def _nan_keypoint(ann):
    ann['keypoint'] = ann['keypoint'].copy()
    ann['keypoint'][0, 3, 4, 1] = np.nan


def _inf_score(ann):
    ann['keypoint_score'] = ann['keypoint_score'].copy()
    ann['keypoint_score'][0, 1, 2] = -np.inf


# (kind of data, mutation, field named in the error, pattern of the problem, dataset kwargs)
CASES = {
    'label missing': ('ntu', _delete('label'), 'label', 'missing', {}),
    'label negative': ('ntu', _set('label', -1), 'label', '-1 is negative', {}),
    'label >= num_classes': ('ntu', _set('label', 7), 'label', r'7 is out of range \[0, 5\)', dict(num_classes=5)),
    'label float': ('ntu', _set('label', 2.0), 'label', 'must be an int', {}),
    'keypoint missing': ('ntu', _delete('keypoint'), 'keypoint', 'missing', {}),
    'keypoint 3-D': ('ntu', _set('keypoint', lambda a: a['keypoint'][0]), 'keypoint', r'must be \(M, T, V, C\)', {}),
    'keypoint C=4': (
        'ntu',
        _set('keypoint', lambda a: np.concatenate([a['keypoint']] * 2, -1)[..., :4]),
        'keypoint',
        r'C in \{2, 3\}',
        {},
    ),
    'keypoint list': ('ntu', _set('keypoint', lambda a: a['keypoint'].tolist()), 'keypoint', 'numeric numpy array', {}),
    'keypoint V vs layout': (
        'ntu',
        _set('keypoint', lambda a: a['keypoint'][:, :, :17]),
        'keypoint',
        r"V=17 joints .* layout 'nturgb\+d' has 25",
        dict(layout='nturgb+d'),
    ),
    'keypoint NaN': ('ntu', _nan_keypoint, 'keypoint', r'1 NaN/Inf value\(s\), the first at index \(0, 3, 4, 1\)', {}),
    'keypoint no frames': (
        'ntu',
        lambda a: a.update(keypoint=a['keypoint'][:, :0], total_frames=0),
        'keypoint',
        'no frames',
        {},
    ),
    'total_frames mismatch': (
        'ntu',
        _set('total_frames', lambda a: a['total_frames'] + 1),
        'total_frames',
        'but keypoint has T=',
        {},
    ),
    'score missing in 2D': (
        'coco',
        _delete('keypoint_score'),
        'keypoint_score',
        '2D keypoints .* need keypoint_score',
        {},
    ),
    'score shape': (
        'coco',
        _set('keypoint_score', lambda a: a['keypoint_score'][:, :-1]),
        'keypoint_score',
        r'must be \(M, T, V\)',
        {},
    ),
    'score Inf': ('coco', _inf_score, 'keypoint_score', r'NaN/Inf value\(s\), the first at index \(0, 1, 2\)', {}),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_validation_errors_name_file_sample_field(annfac, case):
    kind, mutate, field, pattern, kwargs = CASES[case]
    data = annfac.make(kind, n_train=4, n_val=2, num_classes=5)
    bad = data['annotations'][2]
    mutate(bad)
    path = annfac.write(data)
    with pytest.raises(ValueError) as info:
        _pose(path, split='train', **kwargs)
    message = str(info.value)
    assert f"{path}: sample annotations[2] (frame_dir='{bad['frame_dir']}'): field '{field}': " in message
    assert re.search(pattern, message), message
    assert '1 problem(s) in 1 sample(s)' in message
    # only the chosen split is validated
    assert len(_pose(path, split='val', **kwargs)) == 2


def test_missing_frame_dir_in_bare_list(annfac):
    annotations = annfac.make(n_train=3, n_val=0)['annotations']
    del annotations[1]['frame_dir']
    annotations[2] = 'not a dict'
    path = annfac.write(annotations)
    with pytest.raises(ValueError) as info:
        _pose(path)
    message = str(info.value)
    assert f"{path}: sample annotations[1] (frame_dir=None): field 'frame_dir': missing" in message
    assert f"{path}: sample annotations[2]: field '<annotation>': an annotation must be a dict" in message


def test_all_problem_kinds_reported_at_once(annfac):
    data = annfac.make(n_train=30, n_val=2, num_classes=5)
    anns = data['annotations']
    for i in range(20):  # many problems of one kind first ...
        anns[i]['label'] = 9
    _nan_keypoint(anns[25])  # ... then other kinds later in the file
    anns[27]['total_frames'] = 1000
    path = annfac.write(data)
    with pytest.raises(ValueError) as info:
        _pose(path, split='train', num_classes=5)
    message = str(info.value)
    assert message.startswith(f"{path}: 22 problem(s) in 22 sample(s) of split 'train':")
    assert 'annotations[25] (frame_dir=' in message and "field 'keypoint'" in message
    assert 'annotations[27]' in message and "field 'total_frames'" in message
    assert message.count('  - ') == 10 and '... and 12 more' in message
    assert 'label: range x20' in message and 'keypoint: not finite x1' in message


def test_constructor_argument_errors(annfac):
    path, _ = annfac.file()
    with pytest.raises(ValueError, match='valid_ratio needs box_thr'):
        _pose(path, split='train', valid_ratio=0.5)
    with pytest.raises(ValueError, match='num_classes must be a positive int'):
        _pose(path, split='train', num_classes=0)
    with pytest.raises(KeyError, match='unknown skeleton layout'):
        _pose(path, split='train', layout='nope')
    with pytest.raises(TypeError, match='pipeline entries'):
        _pose(path, split='train', pipeline=[42])


# ------------------------------------------------------------------ valid_ratio / box_thr
def test_valid_ratio_filter(annfac):
    data = annfac.make('coco', n_train=4, n_val=1)
    anns = data['annotations']
    for ann, valid_frames in zip(anns, [0, 1000, None, 1000]):  # None: no 'valid' key -> kept
        if valid_frames is not None:
            ann['valid'] = {0.5: min(valid_frames, ann['total_frames']), 0.7: 0}
            ann['box_score'] = np.linspace(0, 1, ann['total_frames'], dtype=np.float32)
    path = annfac.write(data)
    dataset = _pose(path, split='train', valid_ratio=0.5, box_thr=0.5)
    assert [dataset[i]['frame_dir'] for i in range(len(dataset))] == [anns[i]['frame_dir'] for i in (1, 2, 3)]
    first = dataset[0]
    np.testing.assert_array_equal(first['anno_inds'], anns[1]['box_score'] >= 0.5)
    assert 'valid' not in first and 'box_score' not in first
    assert 'anno_inds' not in dataset[1]
    # without valid_ratio nothing is filtered; valid / box_score are dropped as in PYSKL
    unfiltered = _pose(path, split='train')
    assert len(unfiltered) == 4 and 'valid' not in unfiltered[0]
    with pytest.raises(ValueError, match=r"field 'valid': no entry for box_thr=0.9"):
        _pose(path, split='train', valid_ratio=0.5, box_thr=0.9)
    with pytest.raises(ValueError, match='no sample .* is left'):
        _pose(
            annfac.write(dict(split=dict(train=[anns[0]['frame_dir']]), annotations=anns)),
            split='train',
            valid_ratio=0.5,
            box_thr=0.7,
        )


# ------------------------------------------------------------------ keys and generators
def test_pipeline_from_registry_and_callables(annfac):
    path, _ = annfac.file()
    calls = []
    dataset = _pose(
        path,
        split='train',
        pipeline=[dict(type='_TestDrawTransform', n=2), lambda r: calls.append(r['sample_idx']) or r],
    )
    assert dataset[3]['draws'].shape == (2,)
    assert calls == [3]


def test_seeded_keys_are_deterministic(annfac):
    path, _ = annfac.file(n_train=6)
    dataset = _pose(path, split='train', pipeline=[dict(type='_TestDrawTransform')])
    a = dataset[(2, 7, 0)]
    assert a['sample_idx'] == 2
    np.testing.assert_array_equal(a['draws'], dataset[(2, 7, 0)]['draws'])
    np.testing.assert_array_equal(a['draws'], np.random.default_rng([7, 0, 2]).random(3))
    assert not np.allclose(a['draws'], dataset[(2, 7, 1)]['draws'])  # other epoch
    assert not np.allclose(a['draws'], dataset[(2, 8, 0)]['draws'])  # other seed
    assert not np.allclose(a['draws'], dataset[(3, 7, 0)]['draws'])  # other sample
    # 4-tuple: the generator follows rng_index (RepeatDataset's outer index), the data index
    b = dataset[(2, 7, 0, 20)]
    assert b['sample_idx'] == 2 and b['frame_dir'] == a['frame_dir']
    np.testing.assert_array_equal(b['draws'], np.random.default_rng([7, 0, 20]).random(3))
    # numpy integers (as a sampler may hold) and negative seeds work
    np.testing.assert_array_equal(dataset[(np.int64(2), np.int64(7), np.int64(0))]['draws'], a['draws'])
    assert dataset[(2, -1, 0)]['draws'].shape == (3,)


def test_int_keys_are_unseeded(annfac):
    path, _ = annfac.file(n_train=6)
    dataset = _pose(path, split='train', pipeline=[dict(type='_TestDrawTransform')])
    assert not np.allclose(dataset[1]['draws'], dataset[1]['draws'])
    assert dataset[-1]['sample_idx'] == 5 and dataset[-6]['sample_idx'] == 0
    assert dataset.get_data_info(-6)['sample_idx'] == 0
    with pytest.raises(IndexError):
        dataset[6]
    with pytest.raises(IndexError):
        dataset[-7]
    with pytest.raises(IndexError):
        dataset[(6, 0, 0)]
    with pytest.raises(TypeError, match='dataset key'):
        dataset[(1, 2)]
    with pytest.raises(TypeError, match='dataset key'):
        dataset['1']
    assert len(list(iter(dataset))) == 6  # iteration stops on IndexError


def _in_place(results):
    results['keypoint'] += 1000
    return results


def test_stored_annotation_not_mutated(annfac):
    path, data = annfac.file(n_train=3, n_val=1)
    original = data['annotations'][0]['keypoint']
    serialized = _pose(path, split='train', pipeline=[_in_place])
    serialized[0]
    np.testing.assert_array_equal(serialized.get_data_info(0)['keypoint'], original)
    np.testing.assert_array_equal(serialized[(0, 1, 0)]['keypoint'], original + 1000)
    # unserialised: shallow copies of read-only arrays: an in-place transform fails loudly
    plain = _pose(path, split='train', pipeline=[_in_place], serialize_data=False)
    with pytest.raises(ValueError, match='read-only'):
        plain[0]
    np.testing.assert_array_equal(plain.get_data_info(0)['keypoint'], original)
    assert len(_pose(path, split='train', serialize_data=False)[(0, 1, 0)]) > 0


def test_lazy_init_and_registry_build(annfac, tmp_path):
    lazy = PoseDataset(str(tmp_path / 'later.pkl'), [], split='train', lazy_init=True, memcached=True)
    with pytest.raises(FileNotFoundError, match='later.pkl'):
        lazy.full_init()
    path, _ = annfac.file()
    dataset = DATASETS.build(
        dict(type='PoseDataset', ann_file=path, pipeline=[], split='val', lazy_init=True, layout='nturgb+d')
    )
    assert isinstance(dataset, PoseDataset) and not dataset._fully_initialized
    assert len(dataset) == 4 and dataset.metainfo['num_classes'] == 5
    assert dataset.get_cat_ids(1) == [dataset[1]['label']]
    # datasets pickle (dataloader workers with the spawn start method)
    clone = pickle.loads(pickle.dumps(dataset))
    np.testing.assert_array_equal(clone[1]['keypoint'], dataset[1]['keypoint'])
    assert 'PoseDataset' in repr(dataset) and 'samples=4' in repr(dataset)

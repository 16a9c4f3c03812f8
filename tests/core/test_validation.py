"""Load-time validation of what used to train silently: duplicate / missing ``frame_dir``, M=0,
all-zero and absurd coordinates, train/val overlap, a directory as ``ann_file``, a split given
as a string (issue 9, item 5)."""

import numpy as np
import pytest

from pyskl.datasets import PoseDataset

VALUE_BOUND_3D, VALUE_BOUND_2D = 1e4, 1e5  # the documented defaults (metres / pixels)


def _pose(path, **kwargs):
    return PoseDataset(ann_file=path, pipeline=[], **kwargs)


def _error(path, **kwargs):
    with pytest.raises(ValueError) as info:
        _pose(path, **kwargs)
    return str(info.value)


# ------------------------------------------------------------------ duplicates and identifiers
def test_duplicate_frame_dir_with_conflicting_labels_is_an_error(annfac):
    data = annfac.make(n_train=6, n_val=2, num_classes=5)
    anns = data['annotations']
    copy = dict(anns[1], label=(anns[1]['label'] + 1) % 5)  # same name, other label
    anns.append(copy)
    same = dict(anns[3])  # same name, same label
    anns.append(same)
    path = annfac.write(data)
    message = _error(path, split='train')
    assert f"{path}: sample annotations[8] (frame_dir='{anns[1]['frame_dir']}'): field 'frame_dir': " in message
    assert 'duplicate of annotations[1]' in message
    assert f'conflicting labels ({anns[1]["label"]} vs {copy["label"]})' in message
    assert f"annotations[9] (frame_dir='{anns[3]['frame_dir']}')" in message
    assert 'duplicate of annotations[3] (same label' in message
    assert 'frame_dir: duplicate x2' in message


def test_duplicate_in_bare_list_is_an_error(annfac):
    annotations = annfac.make(n_train=4, n_val=0)['annotations']
    annotations.append(dict(annotations[0]))
    message = _error(annfac.write(annotations))
    assert 'annotations[4]' in message and 'duplicate of annotations[0]' in message


def test_sample_without_frame_dir_in_split_file_is_an_error(annfac):
    """It used to be dropped with a warning (its split name then had no annotation)."""
    data = annfac.make(n_train=4, n_val=2)
    del data['annotations'][2]['frame_dir']
    path = annfac.write(data)
    message = _error(path, split='train')
    assert f"{path}: sample annotations[2] (frame_dir=None): field 'frame_dir': missing" in message
    assert 'no split can select it' in message
    # whichever split is asked for: the sample cannot be placed in any
    assert 'annotations[2]' in _error(path, split='val')


@pytest.mark.parametrize('split', ['train', None])
def test_frame_dir_that_is_not_a_str_is_an_error(annfac, split):
    """An int frame_dir used to be skipped with only a warning (its split name then had no annotation)."""
    data = annfac.make(n_train=4, n_val=2)
    data['annotations'][1]['frame_dir'] = 5
    path = annfac.write(data if split else data['annotations'])
    message = _error(path, split=split)
    assert f"{path}: sample annotations[1] (frame_dir=5): field 'frame_dir': must be a str, got" in message
    assert 'frame_dir: type x1' in message


def test_duplicate_name_inside_a_split_list_is_an_error(annfac):
    data = annfac.make(n_train=4, n_val=2)
    data['split']['train'].append(data['split']['train'][1])
    message = _error(annfac.write(data), split='train')
    assert "split 'train' lists" in message and repr(data['split']['train'][1]) in message


# ------------------------------------------------------------------ per-sample content
def test_zero_persons_is_an_error(annfac):
    data = annfac.make(n_train=4, n_val=2)
    bad = data['annotations'][1]
    bad['keypoint'] = bad['keypoint'][:0]
    message = _error(annfac.write(data), split='train')
    assert f"annotations[1] (frame_dir='{bad['frame_dir']}'): field 'keypoint': has no persons (M=0" in message


def test_zero_persons_2d_is_an_error(annfac):
    data = annfac.make('coco', n_train=4, n_val=2)
    bad = data['annotations'][0]
    bad['keypoint'], bad['keypoint_score'] = bad['keypoint'][:0], bad['keypoint_score'][:0]
    assert 'has no persons (M=0' in _error(annfac.write(data), split='train')


@pytest.mark.parametrize('img_shape', [None, (float('nan'), 1920), ('1080', '1920'), (0, 1920), (1080,), (1e-9, 1e-9)])
def test_malformed_img_shape_is_an_error(annfac, img_shape):
    data = annfac.make('coco', n_train=4, n_val=2)
    bad = data['annotations'][2]
    bad['img_shape'] = img_shape
    message = _error(annfac.write(data), split='train')
    assert f"annotations[2] (frame_dir='{bad['frame_dir']}'): field 'img_shape': must be a positive (h, w)" in message


def test_img_shape_as_numpy_or_list_loads(annfac):
    data = annfac.make('coco', n_train=4, n_val=2)
    data['annotations'][0]['img_shape'] = np.array([1080, 1920])
    data['annotations'][1]['img_shape'] = [1080.0, np.int64(1920)]
    assert len(PoseDataset(ann_file=annfac.write(data), split='train', pipeline=[])) == 4


def _corrupt(annfac, kind='ntu', **values):
    """Annotations where sample 1 is all zero and sample 2 holds ``huge`` at two positions."""
    data = annfac.make(kind, n_train=5, n_val=2)
    anns = data['annotations']
    anns[1]['keypoint'] = np.zeros_like(anns[1]['keypoint'])
    anns[2]['keypoint'] = anns[2]['keypoint'].copy()
    anns[2]['keypoint'][0, 4, 3, 1] = values.get('huge', 3e38)
    anns[2]['keypoint'][-1, -1, -1, 0] = -values.get('huge', 3e38)
    return annfac.write(data), anns


@pytest.mark.parametrize('kind', ['ntu', 'coco'])
def test_all_zero_and_absurd_values_warn_by_default(annfac, kind):
    path, anns = _corrupt(annfac, kind)
    dataset = _pose(path, split='train')
    assert len(dataset) == 5
    text = '\n'.join(dataset.data_warnings)
    assert text.startswith(f"{path}: 2 warning(s) in 2 sample(s) of split 'train':")
    assert f"annotations[1] (frame_dir='{anns[1]['frame_dir']}'): field 'keypoint': all coordinates are zero" in text
    bound = VALUE_BOUND_3D if kind == 'ntu' else VALUE_BOUND_2D
    assert (
        f"annotations[2] (frame_dir='{anns[2]['frame_dir']}'): field 'keypoint': 2 value(s) with |x| > {bound:g}"
    ) in text
    assert 'the first at index (0, 4, 3, 1)' in text and '3e+38' in text
    assert 'keypoint: all zero x1' in text and 'keypoint: magnitude x1' in text
    assert "value_checks='error'" in text  # says how to make them errors


def test_value_checks_error_and_ignore(annfac):
    path, _ = _corrupt(annfac)
    message = _error(path, split='train', value_checks='error')
    assert message.startswith(f"{path}: 2 problem(s) in 2 sample(s) of split 'train':")
    assert 'all coordinates are zero' in message and '|x| > 10000' in message
    assert _pose(path, split='train', value_checks='ignore').data_warnings == []
    # the bound is an argument too
    assert _pose(path, split='val', value_checks='error', value_bound=1.0e39).data_warnings == []
    with pytest.raises(ValueError, match='value_checks must be one of'):
        _pose(path, split='train', value_checks='strict')
    with pytest.raises(ValueError, match='value_bound must be a positive number'):
        _pose(path, split='train', value_bound=-1)


def test_bounds_are_per_dimension(annfac):
    """Pixels of a 4K frame are fine in 2D but would be 4 km in 3D metres."""
    path, _ = _corrupt(annfac, 'coco', huge=5e4)
    assert not any('|x|' in w for w in _pose(path, split='train').data_warnings)
    path, _ = _corrupt(annfac, 'ntu', huge=5e4)
    assert any('|x| > 10000' in w for w in _pose(path, split='train').data_warnings)


def test_non_finite_stays_an_error_with_value_checks_ignore(annfac):
    data = annfac.make(n_train=4, n_val=2)
    data['annotations'][0]['keypoint'][0, 0, 0, 0] = np.inf
    message = _error(annfac.write(data), split='train', value_checks='ignore')
    assert 'NaN/Inf' in message


# ------------------------------------------------------------------ splits
def test_train_val_overlap_warns(annfac):
    data = annfac.make(n_train=6, n_val=4)
    shared = data['split']['train'][:3]
    data['split']['val'] += shared
    path = annfac.write(data)
    for split, other in (('train', 'val'), ('val', 'train')):
        dataset = _pose(path, split=split)
        text = '\n'.join(dataset.data_warnings)
        assert f'split {split!r} shares 3 sample(s) with split {other!r}' in text, text
        assert repr(shared[0]) in text
    # a test split pairs with train too
    data['split']['test'] = [data['split']['train'][0]]
    warnings = _pose(annfac.write(data), split='train').data_warnings
    assert any("with split 'test'" in w for w in warnings)


def test_protocols_do_not_count_as_overlap(tmp_path):
    """xsub_train and xview_val share samples by design (different protocols): no warning."""
    from pyskl.datasets.synthetic import make_demo_dataset

    path = str(tmp_path / 'demo.pkl')
    make_demo_dataset(path, num_subjects=3, samples_per_class_per_subject=3)
    for split in ('xsub_train', 'xsub_val', 'xview_train', 'xview_val'):
        assert _pose(path, split=split).data_warnings == []


def test_split_given_as_a_string(annfac):
    data = annfac.make(n_train=4, n_val=2)
    data['split']['train'] = data['split']['train'][0]
    path = annfac.write(data)
    message = _error(path, split='train')
    assert f"{path}: field 'split': split 'train' is a str" in message
    assert 'a list of frame_dir names' in message and "'0'" not in message
    # another split written as a string does not stop this one
    assert len(_pose(path, split='val')) == 2


def test_split_of_non_strings(annfac):
    data = annfac.make(n_train=4, n_val=2)
    data['split']['train'] = [1, 2]
    assert "split 'train' must list frame_dir names (str), got 1 (int)" in _error(annfac.write(data), split='train')
    data['split']['train'] = {'a': 1}
    assert "split 'train' is a dict" in _error(annfac.write(data), split='train')


def test_directory_as_ann_file(tmp_path, annfac):
    annfac.file()
    message = None
    with pytest.raises(IsADirectoryError) as info:
        _pose(str(tmp_path), split='train')
    message = str(info.value)
    assert f'{tmp_path}: is a directory, not an annotation pickle' in message
    assert 'ann1.pkl' in message  # the pickles inside are suggested
    with pytest.raises(FileNotFoundError, match='not found'):
        _pose(str(tmp_path / 'nope.pkl'), split='train')


def test_all_new_problems_reported_at_once(annfac):
    data = annfac.make(n_train=8, n_val=2, num_classes=5)
    anns = data['annotations']
    anns[0]['keypoint'] = anns[0]['keypoint'][:0]
    anns[1]['label'] = -3
    anns[2]['keypoint'][0, 0, 0, 0] = np.nan
    anns.append(dict(anns[3]))
    anns.append({k: v for k, v in anns[4].items() if k != 'frame_dir'})
    message = _error(annfac.write(data), split='train', value_checks='error')
    assert message.count('  - ') == 5, message
    for kind in (
        'keypoint: persons x1',
        'label: range x1',
        'keypoint: not finite x1',
        'frame_dir: duplicate x1',
        'frame_dir: missing x1',
    ):
        assert kind in message


def test_mixed_joint_or_channel_counts_are_errors(annfac):
    """A split whose samples cannot be stacked into one batch fails at load time, not at collation."""
    data = annfac.make(n_train=5, n_val=2)
    anns = data['annotations']
    anns[3]['keypoint'] = anns[3]['keypoint'][:, :, :17]
    anns[4]['keypoint'] = np.ascontiguousarray(anns[4]['keypoint'][..., :2])
    anns[4]['keypoint_score'] = np.ones(anns[4]['keypoint'].shape[:3], np.float32)
    path = annfac.write(data)
    message = _error(path, split='train')
    assert f"annotations[3] (frame_dir='{anns[3]['frame_dir']}'): field 'keypoint': has V=17" in message
    assert 'but 4 of the 5 samples have V=25' in message
    assert 'annotations[4]' in message and 'has C=2' in message and 'have C=3' in message
    # with a layout, V is checked against it (one message per sample, not two)
    message = _error(path, split='train', layout='nturgb+d')
    assert message.count('V=17') == 1 and "layout 'nturgb+d' has 25" in message


def test_validation_and_inspection_import_neither_torch_nor_mmengine():
    import subprocess
    import sys

    code = (
        'import sys, pyskl.core.validation, pyskl.datasets.inspection; '
        'print(sorted(m for m in ("torch", "mmengine") if m in sys.modules))'
    )
    out = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True, check=True).stdout
    assert out.strip() == '[]'


def test_split_matching_nothing_is_listed_with_the_other_problems(annfac):
    data = annfac.make(n_train=3, n_val=2)
    data['split']['other'] = ['nope1', 'nope2', 'nope1']
    del data['annotations'][0]['frame_dir']
    message = _error(annfac.write(data), split='other')
    assert message.count('  - ') == 3, message
    assert "none of the 2 names of split 'other' matches" in message
    assert "split 'other' lists 1 name(s) more than once (e.g. 'nope1')" in message
    assert "annotations[0] (frame_dir=None): field 'frame_dir': missing" in message


def test_messages_show_file_values_briefly(annfac):
    # a value from the file is shown cut to a few levels / characters: a label nested 20 levels deep with shared
    # parts (2**20 leaves printed in full; the loader refuses much more), a 100k-character frame_dir, a split of a
    # million-character string
    data = annfac.make(n_train=4, n_val=2)
    label = [0]
    for _ in range(20):
        label = [label, label]
    data['annotations'][0]['label'] = label
    data['annotations'][1]['frame_dir'] = 'x' * 100_000
    data['annotations'][1]['label'] = 'walk'
    message = _error(annfac.write(data['annotations']), split=None)
    shown = '[[[[...], [...]], [[...], [...]]], [[[...], [...]], [[...], [...]]]]'
    assert f"field 'label': must be an int, got {shown} (list)" in message
    assert '(100000 characters)' in message and len(message) < 5000
    data = annfac.make(n_train=4, n_val=2)
    data['split']['train'] = '7' * 1_000_000
    message = _error(annfac.write(data), split='train')
    assert "split 'train' is a str ('7777" in message and '(1000000 characters)' in message and len(message) < 1000


def test_zero_joints_is_an_error_without_a_layout(annfac):
    # (M, 2**40, 0, 3) holds no value, so nothing else caught it: inspect reported "Result: OK"
    data = annfac.make(n_train=4, n_val=2)
    data['annotations'][0]['keypoint'] = np.zeros((1, 2**40, 0, 3), np.float32)
    data['annotations'][0]['total_frames'] = 2**40
    message = _error(annfac.write(data['annotations']), split=None)
    assert 'annotations[0]' in message and "field 'keypoint': has no joints (V=0" in message

"""PYSKL's compressed skeleton format (its Kinetics-400 files): DecompressPose against the rules written out
plainly, kpfiles read by PoseDataset through the K400 config, and every bad input named."""

import os
import pickle
from collections import Counter

import numpy as np
import pytest
from mmengine.config import Config

from pyskl.core.compressed import decompress_pose
from pyskl.datasets import PoseDataset
from pyskl.registry import DATASETS, TRANSFORMS, register_all_modules

K400_CONFIG = os.path.join(os.path.dirname(__file__), '..', '..', 'configs', 'protogcn', 'k400_hrnet', 'j.py')


def ref_decompress(frame_inds, kp, total, anno_inds, squeeze, max_person):
    """PYSKL's DecompressPose rules, one instance and one frame at a time."""
    if anno_inds is not None:
        frame_inds, kp = frame_inds[anno_inds], kp[anno_inds]
    if squeeze:
        rank = {f: i for i, f in enumerate(sorted(set(frame_inds.tolist())))}
        frame_inds = np.array([rank[f] for f in frame_inds.tolist()])
        total = int(frame_inds.max()) + 1
    num_person = max(Counter(frame_inds.tolist()).values())
    V = kp.shape[1]
    new_kp = np.zeros((num_person, total, V, 2), np.float16)
    new_score = np.zeros((num_person, total, V), np.float16)
    used = [0] * total
    for f, inst in zip(frame_inds.tolist(), kp):
        new_kp[used[f], f] = inst[:, :2]
        new_score[used[f], f] = inst[:, 2]
        used[f] += 1
    if num_person > max_person:
        for f in range(total):
            n = used[f]
            sums = new_score[:n, f].sum(-1)
            order = sorted(range(n), key=lambda i: -sums[i])
            new_kp[:n, f], new_score[:n, f] = new_kp[order, f], new_score[order, f]
        num_person = max_person
    return new_kp[:num_person], new_score[:num_person], total


def random_instances(seed, num_frames=40, num_joints=17, max_per_frame=4):
    """Instances in frame order: some frames empty, 1..max_per_frame in the others; some score ties."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, max_per_frame + 1, num_frames)
    counts[rng.integers(num_frames)] = max_per_frame
    frame_inds = np.repeat(np.arange(num_frames), counts)
    kp = rng.normal(500, 200, (len(frame_inds), num_joints, 3))
    kp[..., 2] = rng.random((len(frame_inds), num_joints))
    kp[1::5, :, 2] = kp[0, :, 2]  # equal summed scores: the order among them must be kept
    return frame_inds, kp.astype(np.float32), num_frames


@pytest.mark.parametrize('squeeze', [True, False])
@pytest.mark.parametrize('max_person', [2, 10])
@pytest.mark.parametrize('select', [None, 'mask', 'indices'])
@pytest.mark.parametrize('seed', [0, 1])
def test_decompress_follows_pyskls_rules(squeeze, max_person, select, seed):
    frame_inds, kp, total = random_instances(seed)
    anno_inds = None
    if select is not None:
        mask = np.random.default_rng(seed + 10).random(len(frame_inds)) < 0.7
        anno_inds = mask if select == 'mask' else np.flatnonzero(mask)
    out_kp, out_score, out_total, dropped = decompress_pose(frame_inds, kp, total, anno_inds, squeeze, max_person)
    ref_kp, ref_score, ref_total = ref_decompress(frame_inds, kp, total, anno_inds, squeeze, max_person)
    assert out_total == ref_total and out_kp.dtype == np.float32 and out_score.dtype == np.float32
    np.testing.assert_array_equal(out_kp, ref_kp.astype(np.float32))
    np.testing.assert_array_equal(out_score, ref_score.astype(np.float32))
    assert dropped == (max_person == 2)


def dense_to_instances(kp, score):
    """A dense (M, T, V, 2) sample as compressed instances: every present person of every frame, in slot order."""
    frame_inds, inst = [], []
    for t in range(kp.shape[1]):
        for m in range(kp.shape[0]):
            if score[m, t].any():
                frame_inds.append(t)
                inst.append(np.concatenate([kp[m, t], score[m, t, :, None]], -1))
    return np.array(frame_inds), np.array(inst, dtype=np.float32)


def test_transform_inverts_compression_of_a_dense_sample():
    rng = np.random.default_rng(3)
    kp = rng.normal(300, 80, (2, 30, 17, 2)).astype(np.float16).astype(np.float32)
    score = (rng.random((2, 30, 17)) + 0.01).astype(np.float16).astype(np.float32)
    score[1, 10:] = 0  # the second person leaves after frame 9
    kp[1, 10:] = 0
    frame_inds, inst = dense_to_instances(kp, score)
    transform = TRANSFORMS.build(dict(type='DecompressPose', squeeze=False, max_person=10))
    out = transform(dict(frame_dir='x', frame_inds=frame_inds, keypoint=inst, total_frames=30))
    assert 'frame_inds' not in out and 'num_person' not in out and out['total_frames'] == 30
    np.testing.assert_array_equal(out['keypoint'], kp)
    np.testing.assert_array_equal(out['keypoint_score'], score)
    # frames without a person are dropped with squeeze (the default)
    squeezed = TRANSFORMS.build(dict(type='DecompressPose'))(
        dict(frame_dir='x', frame_inds=frame_inds[frame_inds != 4], keypoint=inst[frame_inds != 4], total_frames=30)
    )
    assert squeezed['total_frames'] == 29 and squeezed['keypoint'].shape == (2, 29, 17, 2)
    # a dense sample passes unchanged
    dense = dict(frame_dir='x', keypoint=kp, keypoint_score=score, total_frames=30)
    passed = transform(dict(dense))
    assert passed.keys() == dense.keys() and all(passed[k] is dense[k] for k in dense)


def write_k400(tmp_path, inline=False, num_samples=6):
    """A K400-format annotation file (splits train / val; kpfiles under kpfiles/, named relative to the file's folder),
    and the dense samples it compresses."""
    rng = np.random.default_rng(7)
    anns, kpfiles, dense = [], {}, {}
    for i in range(num_samples):
        name = f'video_{i:03d}'
        T, M = 20 + 5 * i, 1 + i % 3
        kp = rng.normal(320, 90, (M, T, 17, 2)).astype(np.float32)
        score = (rng.random((M, T, 17)) * 0.9 + 0.05).astype(np.float32)
        frame_inds, inst = dense_to_instances(kp, score)
        box_score = rng.random(len(frame_inds)).astype(np.float32)
        ann = dict(
            frame_dir=name,
            label=i % 3,
            img_shape=(480, 640),
            original_shape=(480, 640),
            total_frames=T,
            frame_inds=frame_inds,
            box_score=box_score,
            valid={0.5: int(len(set(frame_inds[box_score >= 0.5].tolist())))},
        )
        if inline:
            ann['keypoint'] = inst
        else:
            ann['raw_file'] = f'kpfiles/part{i % 2}.pkl'
            kpfiles.setdefault(ann['raw_file'], {})[name] = dict(keypoint=inst)
        anns.append(ann)
        dense[name] = (frame_inds, inst, T)
    os.makedirs(tmp_path / 'kpfiles', exist_ok=True)
    for rel, content in kpfiles.items():
        with open(tmp_path / rel, 'wb') as f:
            pickle.dump(content, f)
    names = [a['frame_dir'] for a in anns]
    path = tmp_path / ('inline.pkl' if inline else 'k400.pkl')
    with open(path, 'wb') as f:
        pickle.dump(dict(split=dict(train=names[:4], val=names[4:]), annotations=anns), f)
    return str(path), dense


def k400_dataset(ann_file, which='train_dataloader', **changes):
    register_all_modules()
    cfg = Config.fromfile(K400_CONFIG)
    ds = cfg[which].dataset
    while 'dataset' in ds:
        ds = ds.dataset
    return DATASETS.build(dict(ds, ann_file=ann_file, **changes))


@pytest.mark.parametrize('which', ['train_dataloader', 'test_dataloader'])
def test_k400_config_reads_kpfiles_as_inline_instances(tmp_path, which, monkeypatch):
    path, _ = write_k400(tmp_path)
    inline, _ = write_k400(tmp_path, inline=True)
    monkeypatch.chdir(tmp_path.parent)  # raw_file is relative to the annotation's folder, not the working directory
    from_kpfiles, from_inline = k400_dataset(path, which), k400_dataset(inline, which)
    assert len(from_kpfiles) == len(from_inline) == (4 if which == 'train_dataloader' else 2)
    for key in [(i, 11, 0) for i in range(len(from_kpfiles))]:
        a, b = from_kpfiles[key], from_inline[key]
        np.testing.assert_array_equal(a['inputs'].numpy(), b['inputs'].numpy())
        clips = 10 if which == 'test_dataloader' else 1
        assert tuple(a['inputs'].shape) == (clips, 2, 100, 20, 3)  # coco_new joints, (x, y, score)


def test_decompressed_values_reach_the_pipeline(tmp_path):
    """The first transforms' output equals decompressing the instances (all kept: valid_ratio 0)."""
    path, dense = write_k400(tmp_path)
    dataset = k400_dataset(path, pipeline=[dict(type='DecompressPose')])
    for i in range(len(dataset)):
        out = dataset[i]
        frame_inds, inst, T = dense[out['frame_dir']]
        ref_kp, ref_score, ref_total = ref_decompress(frame_inds, inst, T, None, True, 10)
        assert out['total_frames'] == ref_total and not {'frame_inds', 'raw_file', 'anno_inds'} & set(out)
        np.testing.assert_array_equal(out['keypoint'], ref_kp.astype(np.float32))
        np.testing.assert_array_equal(out['keypoint_score'], ref_score.astype(np.float32))


def test_kpfile_reader_keeps_the_last_max_files_kpfiles(tmp_path):
    """Each kpfile is read once while it stays among the last ``max_files`` used; an evicted one is read again."""
    from pyskl.core.compressed import KpfileReader

    path, dense = write_k400(tmp_path)
    anns = {a['frame_dir']: a for a in pickle.load(open(path, 'rb'))['annotations']}
    reader = KpfileReader(path, max_files=1)
    first = reader.instances(anns['video_000'])  # kpfiles/part0.pkl
    assert reader.instances(anns['video_002']) is reader.instances(anns['video_002'])  # part0 again: cached
    np.testing.assert_array_equal(first, dense['video_000'][1])
    assert not first.flags.writeable  # shared with later reads
    reader.instances(anns['video_001'])  # kpfiles/part1.pkl evicts part0
    assert list(reader._cache) == [str(tmp_path / 'kpfiles' / 'part1.pkl')]
    assert reader.instances(anns['video_000']) is not first  # read again
    with pytest.raises(ValueError, match='max_kpfiles\\) must be a positive int, got 0'):
        PoseDataset(path, [], split='train', max_kpfiles=0)


def test_box_thr_filter_keeps_the_instances_above_it(tmp_path):
    path, dense = write_k400(tmp_path)
    data = pickle.load(open(path, 'rb'))
    box = {a['frame_dir']: a['box_score'] for a in data['annotations']}
    dataset = k400_dataset(path, pipeline=[dict(type='DecompressPose')], valid_ratio=0.01, box_thr=0.5)
    out = dataset[0]
    frame_inds, inst, T = dense[out['frame_dir']]
    keep = box[out['frame_dir']] >= 0.5
    ref_kp, _, ref_total = ref_decompress(frame_inds, inst, T, keep, True, 10)
    assert out['total_frames'] == ref_total
    np.testing.assert_array_equal(out['keypoint'], ref_kp.astype(np.float32))


def _rewrite(path, fn):
    data = pickle.load(open(path, 'rb'))
    fn(data)
    with open(path, 'wb') as f:
        pickle.dump(data, f)


def test_bad_compressed_samples_are_named_at_load(tmp_path):
    path, _ = write_k400(tmp_path)

    def corrupt(data):
        anns = data['annotations']
        anns[0]['frame_inds'] = anns[0]['frame_inds'][::-1].copy()
        anns[1]['box_score'] = anns[1]['box_score'][:3]
        anns[2]['raw_file'] = 5
        anns[3]['frame_inds'] = anns[3]['frame_inds'].astype(np.float32)
        anns[4]['frame_inds'], anns[4]['box_score'] = anns[4]['frame_inds'][:0], anns[4]['box_score'][:0]

    _rewrite(path, corrupt)
    with pytest.raises(ValueError) as info:
        PoseDataset(path, [], split='train')
    message = str(info.value)
    with pytest.raises(ValueError, match=r"video_004'\): field 'frame_inds': has no skeleton instance"):
        PoseDataset(path, [], split='val')  # caught at load, not mid-epoch
    assert (
        "annotations[0] (frame_dir='video_000'): field 'frame_inds': must be non-negative and non-decreasing" in message
    )
    assert "annotations[1] (frame_dir='video_001'): field 'box_score': has 3 entries" in message
    assert "annotations[2] (frame_dir='video_002'): field 'raw_file': must be the path of a kpfile" in message
    assert "annotations[3] (frame_dir='video_003'): field 'frame_inds': must hold integers" in message


@pytest.mark.parametrize(
    'total, message',
    [
        (True, 'must be a positive int, got True'),
        (2.0, 'must be a positive int, got 2.0'),
        (3, 'but total_frames is 3'),
    ],
)
def test_total_frames_of_a_compressed_sample_is_checked_at_load(tmp_path, total, message):
    path, _ = write_k400(tmp_path)
    _rewrite(path, lambda data: data['annotations'][5].__setitem__('total_frames', total))
    with pytest.raises(
        ValueError, match=r"annotations\[5\] \(frame_dir='video_005'\): field '(total_frames|frame_inds)': "
    ):
        PoseDataset(path, [], split='val')
    with pytest.raises(ValueError, match=message):
        PoseDataset(path, [], split='val')


def test_kpfile_problems_name_the_file_sample_and_field(tmp_path):
    path, _ = write_k400(tmp_path)
    dataset = PoseDataset(path, [dict(type='DecompressPose')], split='train')
    os.remove(tmp_path / 'kpfiles' / 'part1.pkl')
    with pytest.raises(FileNotFoundError, match=r"video_001'?: field 'raw_file': kpfile not found \(looked for "):
        dataset[1]
    content = pickle.load(open(tmp_path / 'kpfiles' / 'part0.pkl', 'rb'))
    content.pop('video_002')
    content['video_000'] = dict(keypoint=content['video_000']['keypoint'][:-1])
    with open(tmp_path / 'kpfiles' / 'part0.pkl', 'wb') as f:
        pickle.dump(content, f)
    dataset = PoseDataset(path, [dict(type='DecompressPose')], split='train')  # a fresh kpfile cache
    with pytest.raises(ValueError, match=r'kpfiles/part0.pkl has no keypoint for it'):
        dataset[2]
    with pytest.raises(
        ValueError, match=r"part0.pkl: sample frame_dir='video_000': field 'keypoint': has \d+ instances"
    ):
        dataset[0]
    content = pickle.load(open(tmp_path / 'kpfiles' / 'part0.pkl', 'rb'))
    content['video_000'] = dict(keypoint=np.zeros((len(dataset.get_data_info(0)['frame_inds']), 25, 3)))
    with open(tmp_path / 'kpfiles' / 'part0.pkl', 'wb') as f:
        pickle.dump(content, f)
    dataset = PoseDataset(path, [dict(type='DecompressPose')], split='train', layout='coco')
    with pytest.raises(ValueError, match=r"field 'keypoint': has V=25 joints .* but layout 'coco' has 17"):
        dataset[0]
    (tmp_path / 'kpfiles' / 'part0.pkl').write_bytes(b"cos\nsystem\n(S'echo PWNED'\ntR.")
    dataset = PoseDataset(path, [dict(type='DecompressPose')], split='train')
    with pytest.raises(Exception, match='refusing to load'):
        dataset[0]


def test_no_instance_left_is_an_error_naming_the_sample():
    transform = TRANSFORMS.build(dict(type='DecompressPose'))
    results = dict(
        frame_dir='v', frame_inds=np.array([0, 1]), keypoint=np.ones((2, 17, 3)), total_frames=2, anno_inds=[False] * 2
    )
    with pytest.raises(ValueError, match=r"DecompressPose: sample \(frame_dir='v'\): field 'frame_inds': no skeleton"):
        transform(results)
    with pytest.raises(ValueError, match='max_person must be a positive int'):
        TRANSFORMS.build(dict(type='DecompressPose', max_person=0))


def test_inspection_counts_compressed_samples(tmp_path):
    from pyskl.datasets.inspection import inspect_annotations

    path, dense = write_k400(tmp_path)
    report = inspect_annotations(path, split='train')
    assert report.ok and (report.compressed, report.in_kpfiles) == (4, 4)
    assert sorted(report.frames_values) == sorted(T for _, _, T in list(dense.values())[:4])


def test_predict_reads_compressed_samples_dense(tmp_path):
    """``pyskl predict`` on a K400-format pickle: every sample decompressed with DecompressPose's defaults."""
    from pyskl.apis.predict import load_pickle

    path, dense = write_k400(tmp_path)
    samples = load_pickle(path, split='val')
    assert [s['frame_dir'] for s in samples] == ['video_004', 'video_005']
    for s in samples:
        ref_kp, ref_score, ref_total = ref_decompress(*dense[s['frame_dir']], None, True, 10)
        assert s['total_frames'] == ref_total and 'frame_inds' not in s and 'raw_file' not in s
        np.testing.assert_array_equal(s['keypoint'], ref_kp.astype(np.float32))
        np.testing.assert_array_equal(s['keypoint_score'], ref_score.astype(np.float32))

"""Tests of the synthetic NTU-format demo dataset (pyskl/datasets/synthetic/) and its CLI."""

import io
import os
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

from pyskl.datasets import synthetic
from pyskl.core.io import safe_load_pickle
from pyskl.datasets.synthetic import CLASS_NAMES, make_demo_data, make_demo_dataset

NUM_CLASSES = len(CLASS_NAMES)
FRAME_DIR = re.compile(r'^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$')
ANNO_KEYS = {'frame_dir', 'label', 'total_frames', 'keypoint', 'img_shape', 'original_shape'}
SPLITS = {'xsub_train', 'xsub_val', 'xview_train', 'xview_val'}


@pytest.fixture(scope='module')
def small():
    return make_demo_data(num_subjects=5, samples_per_class_per_subject=3, seed=0)


@pytest.fixture(scope='module')
def default():
    """The dataset the demo trains on (default arguments)."""
    return make_demo_data()


def _by_dir(data):
    return {a['frame_dir']: a for a in data['annotations']}


def _valid_frames(kp):
    """Frames (T,) where a person (T, V, C) is not all zero."""
    return np.abs(kp).sum(axis=(1, 2)) > 0


def _xy(data, split, feature):
    ann = _by_dir(data)
    names = data['split'][split]
    return np.stack([feature(ann[n]['keypoint']) for n in names]), np.array([ann[n]['label'] for n in names])


def _nearest_centroid_accuracy(data, feature):
    """Fit class centroids of standardised features on xsub_train, score xsub_val."""
    x_tr, y_tr = _xy(data, 'xsub_train', feature)
    x_va, y_va = _xy(data, 'xsub_val', feature)
    mu, sd = x_tr.mean(0), x_tr.std(0) + 1e-8
    x_tr, x_va = (x_tr - mu) / sd, (x_va - mu) / sd
    centroids = np.stack([x_tr[y_tr == c].mean(0) for c in range(NUM_CLASSES)])
    pred = np.argmin(((x_va[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    return float((pred == y_va).mean())


def _velocity_feature(kp):
    """Per-joint speed statistics of the main person: mean and std of |v|, mean |v_y| (75,)."""
    x = kp[0][_valid_frames(kp[0])].astype(np.float64)
    v = np.diff(x, axis=0)
    speed = np.linalg.norm(v, axis=-1)
    return np.concatenate([speed.mean(0), speed.std(0), np.abs(v[..., 1]).mean(0)])


def _first_pose_feature(kp):
    """The main person's first non-zero pose relative to the spine base (75,)."""
    x = kp[0][_valid_frames(kp[0])][0]
    return (x - x[0]).ravel()


def _joint_excursion(kp, joint):
    """How far (m) ``joint`` of the main person gets from its median position relative to the
    spine base (robust to the ~1 cm joint noise, unlike a path length)."""
    x = kp[0][_valid_frames(kp[0])].astype(np.float64)
    rel = x[:, joint] - x[:, 0]
    return np.linalg.norm(rel - np.median(rel, axis=0), axis=-1).max()


def test_format_is_ntu_3danno(small):
    assert set(small) == {'split', 'annotations'}
    assert set(small['split']) == SPLITS
    anns = small['annotations']
    assert len(anns) == 5 * NUM_CLASSES * 3
    dirs = [a['frame_dir'] for a in anns]
    assert len(set(dirs)) == len(dirs)
    for a in anns:
        assert set(a) == ANNO_KEYS, a['frame_dir']
        kp = a['keypoint']
        assert isinstance(kp, np.ndarray) and kp.dtype == np.float32 and kp.flags.c_contiguous
        assert kp.ndim == 4 and kp.shape[0] in (1, 2) and kp.shape[2:] == (25, 3), (a['frame_dir'], kp.shape)
        assert type(a['total_frames']) is int and a['total_frames'] == kp.shape[1]
        assert 40 <= a['total_frames'] <= 150
        assert type(a['label']) is int and 0 <= a['label'] < NUM_CLASSES
        assert a['img_shape'] == (1080, 1920) and a['original_shape'] == (1080, 1920)
        assert type(a['img_shape']) is tuple
        assert type(a['frame_dir']) is str
        setup, camera, subject, rep, action = map(int, FRAME_DIR.match(a['frame_dir']).groups())
        assert action == a['label'] + 1
        assert 1 <= camera <= 3 and 1 <= subject <= 5 and rep == 1 and setup >= 1


def test_splits_reference_samples_and_are_subject_and_camera_disjoint(small):
    dirs = {a['frame_dir'] for a in small['annotations']}
    split = small['split']
    for name in SPLITS:
        assert set(split[name]) <= dirs, name
        assert len(set(split[name])) == len(split[name]), name
    for a, b in (('xsub_train', 'xsub_val'), ('xview_train', 'xview_val')):
        assert set(split[a]) | set(split[b]) == dirs
        assert not set(split[a]) & set(split[b])

    def field(names, i):
        return {int(FRAME_DIR.match(n).group(i)) for n in names}

    train_subjects, val_subjects = field(split['xsub_train'], 3), field(split['xsub_val'], 3)
    assert not train_subjects & val_subjects
    assert train_subjects | val_subjects == set(range(1, 6))
    assert val_subjects == set(synthetic.val_subjects(5))
    assert field(split['xview_val'], 2) == {1}
    assert field(split['xview_train'], 2) == {2, 3}


def test_default_size_split_ratio_and_class_balance(default):
    split = default['split']
    assert 600 <= len(split['xsub_train']) <= 1000
    ratio = len(split['xsub_val']) / len(default['annotations'])
    assert 0.2 <= ratio <= 0.4
    labels = {a['frame_dir']: a['label'] for a in default['annotations']}
    for name in SPLITS:
        counts = np.bincount([labels[d] for d in split[name]], minlength=NUM_CLASSES)
        assert len(counts) == NUM_CLASSES and counts.min() > 0, (name, counts)
        assert counts.min() == counts.max(), (name, counts)


def test_values_are_finite_metric_and_seen_from_the_front(small):
    for a in small['annotations']:
        kp = a['keypoint']
        assert np.isfinite(kp).all(), a['frame_dir']
        main = kp[0][_valid_frames(kp[0])]
        # the main person is tracked for (almost) the whole clip
        assert len(main) >= a['total_frames'] - 8, a['frame_dir']
        assert 1.5 < main[..., 2].min() and main[..., 2].max() < 4.5, a['frame_dir']  # depth (m)
        assert (main[:, 3, 1] > main[:, [14, 18], 1].max(axis=1) + 0.7).all(), a['frame_dir']  # y is up
        height = np.linalg.norm(main[:, 3] - main[:, 0], axis=-1)
        assert (0.3 < height).all() and (height < 0.9).all(), a['frame_dir']


def test_camera_viewpoints_differ_by_45_degrees(small):
    """The shoulder line (left -> right shoulder) of the first frame, seen from above, turns by
    about 45 degrees between C001 (front) and C002 / C003."""
    angles = {1: [], 2: [], 3: []}
    for a in small['annotations']:
        camera = int(FRAME_DIR.match(a['frame_dir']).group(2))
        x = a['keypoint'][0][_valid_frames(a['keypoint'][0])][0]
        d = x[8] - x[4]
        angles[camera].append(np.degrees(np.arctan2(d[2], d[0])))
    mean = {c: float(np.mean(v)) for c, v in angles.items()}
    assert abs(mean[1]) < 10
    assert abs(abs(mean[2]) - 45) < 10 and abs(abs(mean[3]) - 45) < 10
    assert np.sign(mean[2]) != np.sign(mean[3])


def test_main_person_moves_and_some_samples_have_zero_frames_or_a_second_person(default):
    excursion = [max(_joint_excursion(a['keypoint'], j) for j in range(25)) for a in default['annotations']]
    assert min(excursion) > 0.25  # every action moves some joint by tens of centimetres
    anns = default['annotations']
    two = np.mean([a['keypoint'].shape[0] == 2 for a in anns])
    assert 0.05 < two < 0.3
    padded = np.mean([not _valid_frames(a['keypoint'][0]).all() for a in anns])
    assert 0.02 < padded < 0.5
    for a in anns:
        if a['keypoint'].shape[0] == 2:  # the bystander stands apart from the main person
            both = _valid_frames(a['keypoint'][0]) & _valid_frames(a['keypoint'][1])
            gap = np.linalg.norm(a['keypoint'][0, both, 0] - a['keypoint'][1, both, 0], axis=-1)
            assert (gap > 0.5).all(), a['frame_dir']


def test_left_and_right_variants_move_the_named_limb(small):
    ann = small['annotations']
    by_label = {}
    for a in ann:
        by_label.setdefault(a['label'], []).append(a['keypoint'])
    wave_left, wave_right = CLASS_NAMES.index('wave left hand'), CLASS_NAMES.index('wave right hand')
    kick_right = CLASS_NAMES.index('kick with right leg')
    l_hand, r_hand, l_ankle, r_ankle = 7, 11, 14, 18
    for kp in by_label[wave_left]:
        assert _joint_excursion(kp, l_hand) > 3 * _joint_excursion(kp, r_hand)
    for kp in by_label[wave_right]:
        assert _joint_excursion(kp, r_hand) > 3 * _joint_excursion(kp, l_hand)
    for kp in by_label[kick_right]:
        assert _joint_excursion(kp, r_ankle) > 2 * _joint_excursion(kp, l_ankle)


def test_deterministic_and_seed_dependent():
    a = make_demo_data(num_subjects=2, samples_per_class_per_subject=2, seed=3)
    b = make_demo_data(num_subjects=2, samples_per_class_per_subject=2, seed=3)
    c = make_demo_data(num_subjects=2, samples_per_class_per_subject=2, seed=4)
    assert a['split'] == b['split']
    for x, y in zip(a['annotations'], b['annotations']):
        assert x['frame_dir'] == y['frame_dir'] and x['total_frames'] == y['total_frames']
        assert x['keypoint'].tobytes() == y['keypoint'].tobytes()
    assert [x['frame_dir'] for x in a['annotations']] == [x['frame_dir'] for x in c['annotations']]
    differ = [
        x['keypoint'].shape != y['keypoint'].shape or not np.array_equal(x['keypoint'], y['keypoint'])
        for x, y in zip(a['annotations'], c['annotations'])
    ]
    assert all(differ)


def test_samples_do_not_depend_on_dataset_size():
    small = _by_dir(make_demo_data(num_subjects=2, samples_per_class_per_subject=2, seed=1))
    large = _by_dir(make_demo_data(num_subjects=3, samples_per_class_per_subject=4, seed=1))
    assert set(small) < set(large)
    for name, a in small.items():
        assert np.array_equal(a['keypoint'], large[name]['keypoint']), name


def test_no_global_rng_use():
    state = np.random.get_state()
    np.random.seed(12345)
    expected = np.random.random()
    np.random.seed(12345)
    make_demo_data(num_subjects=2, samples_per_class_per_subject=1, seed=0)
    assert np.random.random() == expected
    np.random.set_state(state)


def test_classes_are_separable_from_motion_not_from_the_first_pose(default):
    """A nearest-centroid classifier on per-joint velocity statistics, fitted on xsub_train,
    is far above chance (0.1) on xsub_val: the data carries the action signal. The same
    classifier on the first pose alone is near chance: the classes differ in motion."""
    assert _nearest_centroid_accuracy(default, _velocity_feature) > 0.8
    assert _nearest_centroid_accuracy(default, _first_pose_feature) < 0.3


def test_fk_tree_matches_the_nturgbd_layout():
    from pyskl.core.layout import get_layout

    layout = get_layout('nturgb+d')
    assert layout.num_node == synthetic.NUM_JOINTS
    fk_edges = {frozenset((j, p)) for j, p in enumerate(synthetic.FK_PARENTS) if j != p}
    assert fk_edges == {frozenset(e) for e in layout.inward}
    assert set(synthetic.LEFT_TO_RIGHT.items()) == set(layout.flip_pairs)


def test_module_imports_only_numpy_and_stdlib():
    """``import pyskl.datasets.synthetic`` (the real package import, as the CLI does) loads no torch / mmengine /
    mmcv / scipy."""
    code = (
        'import sys\n'
        'import pyskl.datasets.synthetic\n'
        'heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "mmengine", "mmcv", "scipy"))\n'
        'print(heavy)\n'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Refuses every global but the three numpy needs to rebuild an ndarray."""

    def find_class(self, module, name):
        if (
            module in ('numpy.core.multiarray', 'numpy._core.multiarray')
            and name == '_reconstruct'
            or module == 'numpy'
            and name in ('ndarray', 'dtype')
        ):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f'global {module}.{name} is not allowed')


def _load(path):
    with open(path, 'rb') as f:
        return _NumpyOnlyUnpickler(io.BytesIO(f.read())).load()


def _assert_same(a, b):
    assert a['split'] == b['split']
    assert len(a['annotations']) == len(b['annotations'])
    for x, y in zip(a['annotations'], b['annotations']):
        assert set(x) == set(y)
        for k in x:
            if k == 'keypoint':
                assert x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k])
            else:
                assert x[k] == y[k] and type(x[k]) is type(y[k]), k


def test_make_demo_dataset_writes_a_plain_pickle(tmp_path):
    out = tmp_path / 'new' / 'dir' / 'demo.pkl'
    summary = make_demo_dataset(str(out), num_subjects=3, samples_per_class_per_subject=2, seed=5)
    assert sorted(os.listdir(out.parent)) == ['demo.pkl']  # no temporary file left behind
    with open(out, 'rb') as f:
        assert f.read(2) == b'\x80\x04'  # protocol 4
    loaded = _load(out)
    _assert_same(loaded, make_demo_data(num_subjects=3, samples_per_class_per_subject=2, seed=5))
    assert summary['out_file'] == str(out)
    assert summary['num_samples'] == 3 * NUM_CLASSES * 2
    assert summary['splits'] == {k: len(v) for k, v in loaded['split'].items()}
    assert summary['per_class']['xsub_val'] == [2] * NUM_CLASSES  # 1 of 3 subjects is val


@pytest.mark.parametrize(
    'kwargs, field',
    [
        (dict(num_subjects=1), 'num_subjects'),
        (dict(samples_per_class_per_subject=0), 'samples_per_class_per_subject'),
        (dict(seed=-1), 'seed'),
        (dict(num_subjects=2.5), 'num_subjects'),
    ],
)
def test_bad_arguments_are_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        make_demo_data(**kwargs)


def test_label_map_lists_the_classes(repo_root):
    with open(os.path.join(repo_root, 'tools', 'data', 'label_map', 'demo.txt')) as f:
        assert f.read().splitlines() == list(CLASS_NAMES)


def test_cli_writes_the_dataset_and_prints_counts(tmp_path, repo_root):
    out = tmp_path / 'a' / 'b' / 'demo_3danno.pkl'
    script = os.path.join(repo_root, 'tools', 'data', 'make_demo_data.py')
    proc = subprocess.run(
        [sys.executable, script, '--out', str(out), '--seed', '2', '--num-subjects', '3', '--samples-per-class', '2'],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    expected = make_demo_data(num_subjects=3, samples_per_class_per_subject=2, seed=2)
    _assert_same(_load(out), expected)
    _assert_same(safe_load_pickle(out), expected)  # what PoseDataset reads it with
    assert f'wrote {3 * NUM_CLASSES * 2} samples of {NUM_CLASSES} classes' in proc.stdout
    for name in CLASS_NAMES:
        assert name in proc.stdout
    assert re.search(r'total\s+40\s+20\s+30\s+30', proc.stdout), proc.stdout

    bad = subprocess.run(
        [sys.executable, script, '--out', str(tmp_path / 'x.pkl'), '--num-subjects', '1'],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
    )
    assert bad.returncode != 0 and 'num_subjects' in bad.stderr
    assert not (tmp_path / 'x.pkl').exists()


# ---------------------------------------------------------------------------------------------
# kind='2d': PYSKL's NTU HRNet format (COCO-17 pixels + scores) of the same samples
# ---------------------------------------------------------------------------------------------
ANNO_KEYS_2D = ANNO_KEYS | {'keypoint_score'}
H, W = 1080, 1920
NTU_HEAD = 3
COCO = dict(
    nose=0,
    l_eye=1,
    r_eye=2,
    l_ear=3,
    r_ear=4,
    l_shoulder=5,
    r_shoulder=6,
    l_wrist=9,
    r_wrist=10,
    l_ankle=15,
    r_ankle=16,
)


@pytest.fixture(scope='module')
def small2d():
    """The 2D twin of the `small` fixture (same arguments)."""
    return make_demo_data(num_subjects=5, samples_per_class_per_subject=3, seed=0, kind='2d')


def _tracked(kp):
    """(M, T) mask of frames where a person is not all zero; kp (M, T, V, C)."""
    return np.abs(kp).sum(axis=(2, 3)) > 0


def _project(xyz):
    """Reference pinhole of the Kinect v2 colour camera for camera-space points (..., 3) in metres
    (x to the camera's left, y up): pixels (..., 2), v pointing down."""
    f, cx, cy = 1050.0, 960.0, 540.0
    return np.stack([cx - f * xyz[..., 0] / xyz[..., 2], cy - f * xyz[..., 1] / xyz[..., 2]], axis=-1)


def test_2d_format_is_ntu_hrnet_and_matches_the_3d_samples(small, small2d):
    assert set(small2d) == {'split', 'annotations'}
    assert small2d['split'] == small['split']
    assert len(small2d['annotations']) == len(small['annotations'])
    for a, a3 in zip(small2d['annotations'], small['annotations']):
        assert set(a) == ANNO_KEYS_2D, a['frame_dir']
        for k in ('frame_dir', 'label', 'total_frames', 'img_shape', 'original_shape'):
            assert a[k] == a3[k] and type(a[k]) is type(a3[k]), (a['frame_dir'], k)
        kp, score = a['keypoint'], a['keypoint_score']
        for arr in (kp, score):
            assert isinstance(arr, np.ndarray) and arr.dtype == np.float32 and arr.flags.c_contiguous
        M, T = a3['keypoint'].shape[:2]
        assert kp.shape == (M, T, 17, 2) and score.shape == (M, T, 17), a['frame_dir']
        assert a['img_shape'] == (H, W)


def test_2d_joints_lie_in_the_image_with_scores_and_padding_stays_zero(small, small2d):
    all_scores = []
    for a, a3 in zip(small2d['annotations'], small['annotations']):
        kp, score = a['keypoint'], a['keypoint_score']
        tracked = _tracked(a3['keypoint'])
        assert np.isfinite(kp).all() and np.isfinite(score).all(), a['frame_dir']
        assert (kp[~tracked] == 0).all() and (score[~tracked] == 0).all(), a['frame_dir']
        x, y, s = kp[tracked][..., 0], kp[tracked][..., 1], score[tracked]
        assert x.min() >= 0 and x.max() <= W - 1 and y.min() >= 0 and y.max() <= H - 1, a['frame_dir']
        assert s.min() > 0 and s.max() <= 1, a['frame_dir']
        # the main person is a standing adult a few metres away: hundreds of pixels tall
        main = kp[0][tracked[0]]
        height = np.median(main[:, [COCO['l_ankle'], COCO['r_ankle']], 1].mean(1) - main[:, COCO['nose'], 1])
        assert 250 < height < 900, (a['frame_dir'], height)
        all_scores.append(s.ravel())
    s = np.concatenate(all_scores)
    assert 0.85 < np.median(s) < 0.95 and s.std() > 0.01  # confident, not constant


def test_2d_body_joints_are_the_pinhole_projection_of_the_3d_ones(small, small2d):
    assert synthetic.COCO_FROM_NTU == {
        5: 4,
        6: 8,
        7: 5,
        8: 9,
        9: 6,
        10: 10,
        11: 12,
        12: 16,
        13: 13,
        14: 17,
        15: 14,
        16: 18,
    }
    coco, ntu = zip(*sorted(synthetic.COCO_FROM_NTU.items()))
    checked = 0
    for a, a3 in zip(small2d['annotations'], small['annotations']):
        tracked = _tracked(a3['keypoint'])
        expected = _project(a3['keypoint'][tracked][:, list(ntu)].astype(np.float64))
        got = a['keypoint'][tracked][:, list(coco)]
        inside = ((expected >= 0) & (expected <= [W - 1, H - 1])).all(-1)
        np.testing.assert_allclose(got[inside], expected[inside], atol=0.05, err_msg=a['frame_dir'])
        checked += inside.sum()
    assert checked > 0


def test_coco_map_keeps_sides_of_the_layouts():
    from pyskl.core.layout import get_layout

    ntu_pairs = set(get_layout('nturgb+d').flip_pairs)
    coco_pairs = get_layout('coco').flip_pairs
    for left, right in coco_pairs:
        if left in synthetic.COCO_FROM_NTU:
            assert (synthetic.COCO_FROM_NTU[left], synthetic.COCO_FROM_NTU[right]) in ntu_pairs, (left, right)
    assert {left for left, _ in coco_pairs} == {1, 3, 5, 7, 9, 11, 13, 15}


def test_2d_front_camera_shows_the_subjects_left_on_the_image_right(small2d):
    """Facing the front camera C001 (not turning around), the subject's left shoulder, eye and
    ear are right of the right ones in the image, as a 2D pose estimator names them; the face
    is narrower than the shoulders and (but in a bow) between and above them."""
    turn = CLASS_NAMES.index('turn around')
    n = 0
    for a in small2d['annotations']:
        if 'C001' not in a['frame_dir'] or a['label'] == turn:
            continue
        kp = a['keypoint'][0][_tracked(a['keypoint'])[0]]
        for left, right in (('l_shoulder', 'r_shoulder'), ('l_eye', 'r_eye'), ('l_ear', 'r_ear')):
            assert (kp[:, COCO[left], 0] > kp[:, COCO[right], 0]).mean() > 0.95, (a['frame_dir'], left)
        shoulder_w = kp[:, COCO['l_shoulder'], 0] - kp[:, COCO['r_shoulder'], 0]
        face = kp[:, :5]
        assert (np.ptp(face[..., 0], axis=1) < shoulder_w).all(), a['frame_dir']
        if a['label'] != CLASS_NAMES.index('bow'):  # a bow brings the head down in front of the shoulders
            between = (face[..., 0].min(1) > kp[:, COCO['r_shoulder'], 0]) & (
                face[..., 0].max(1) < kp[:, COCO['l_shoulder'], 0]
            )
            assert between.mean() > 0.95, a['frame_dir']
            assert (face[..., 1].max(1) < kp[:, [5, 6], 1].min(1)).mean() > 0.95, a['frame_dir']  # above (v down)
        n += 1
    assert n >= 10


def test_2d_face_is_built_on_the_head_joint(small, small2d):
    for a, a3 in zip(small2d['annotations'], small['annotations']):
        tracked = _tracked(a3['keypoint'])
        head = _project(a3['keypoint'][tracked][:, NTU_HEAD].astype(np.float64))
        kp = a['keypoint'][tracked]
        shoulder_w = np.linalg.norm(kp[:, COCO['l_shoulder']] - kp[:, COCO['r_shoulder']], axis=-1)
        sho_h = np.linalg.norm(kp[:, [5, 6]].mean(1) - head, axis=-1)  # head-to-shoulder scale, any view
        dist = np.linalg.norm(kp[:, :5] - head[:, None], axis=-1).max(1)
        assert (dist < np.maximum(shoulder_w, sho_h)).all(), a['frame_dir']


def test_2d_left_and_right_limbs_follow_the_3d_source(small2d):
    """wave-left moves the left wrist in the image, wave-right the right one, the right-leg kick
    the right ankle (pixel excursions relative to the hip centre)."""

    def excursion(kp, joint):
        x = kp[0][_tracked(kp)[0]].astype(np.float64)
        rel = x[:, joint] - x[:, [11, 12]].mean(1)
        return np.linalg.norm(rel - np.median(rel, axis=0), axis=-1).max()

    by_label = {}
    for a in small2d['annotations']:
        by_label.setdefault(a['label'], []).append(a['keypoint'])
    for kp in by_label[CLASS_NAMES.index('wave left hand')]:
        assert excursion(kp, COCO['l_wrist']) > 3 * excursion(kp, COCO['r_wrist'])
    for kp in by_label[CLASS_NAMES.index('wave right hand')]:
        assert excursion(kp, COCO['r_wrist']) > 3 * excursion(kp, COCO['l_wrist'])
    for kp in by_label[CLASS_NAMES.index('kick with right leg')]:
        assert excursion(kp, COCO['r_ankle']) > 2 * excursion(kp, COCO['l_ankle'])


def test_2d_is_deterministic_and_leaves_the_3d_samples_unchanged():
    args = dict(num_subjects=2, samples_per_class_per_subject=2, seed=3)
    a, b = make_demo_data(**args, kind='2d'), make_demo_data(**args, kind='2d')
    for x, y in zip(a['annotations'], b['annotations']):
        assert x['keypoint'].tobytes() == y['keypoint'].tobytes()
        assert x['keypoint_score'].tobytes() == y['keypoint_score'].tobytes()
    state = np.random.get_state()
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    make_demo_data(**args, kind='2d')
    assert np.random.random() == expected  # no global RNG use
    np.random.set_state(state)


def test_2d_classes_are_separable_from_motion():
    data = make_demo_data(num_subjects=10, samples_per_class_per_subject=3, seed=0, kind='2d')
    assert _nearest_centroid_accuracy(data, _velocity_feature) > 0.7


def test_bad_kind_and_bad_keypoint_shape_are_named():
    with pytest.raises(ValueError, match='kind'):
        make_demo_data(num_subjects=2, samples_per_class_per_subject=1, kind='3D')
    with pytest.raises(ValueError, match=r'ntu_to_coco_2d.*\(M, T, 25, 3\)'):
        synthetic.ntu_to_coco_2d(np.zeros((1, 4, 17, 2)), np.random.default_rng(0))


def test_2d_pickle_loads_through_pose_dataset_with_the_coco_pipeline(tmp_path):
    from pyskl.datasets import PoseDataset

    out = tmp_path / 'demo_hrnet.pkl'
    summary = make_demo_dataset(str(out), num_subjects=3, samples_per_class_per_subject=1, seed=1, kind='2d')
    assert summary['splits']['xsub_val'] == NUM_CLASSES
    pipeline = [
        dict(type='PreNormalize2D'),
        dict(type='GenSkeFeat', dataset='coco', feats=['j']),
        dict(type='UniformSampleFrames', clip_len=20, num_clips=1, test_mode=True),
        dict(type='PoseDecode'),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ]
    ds = PoseDataset(
        str(out), pipeline=pipeline, split='xsub_val', layout='coco', num_classes=NUM_CLASSES, test_mode=True
    )
    assert len(ds) == NUM_CLASSES
    item = ds[0]
    x = item['inputs']
    assert tuple(x.shape) == (1, 2, 20, 17, 3)  # (clips, M, T, V, x/y/score)
    assert float(x[..., :2].abs().max()) <= 1.0  # pixels mapped into [-1, 1]
    assert float(x[0, 0, :, :, 2].mean()) > 0.8
    with pytest.raises(ValueError, match='17'):
        PoseDataset(str(out), pipeline=[], split='xsub_val', layout='nturgb+d')


def test_cli_kind_2d(tmp_path, repo_root):
    out = tmp_path / 'demo_hrnet.pkl'
    script = os.path.join(repo_root, 'tools', 'data', 'make_demo_data.py')
    proc = subprocess.run(
        [
            sys.executable,
            script,
            '--kind',
            '2d',
            '--out',
            str(out),
            '--seed',
            '2',
            '--num-subjects',
            '2',
            '--samples-per-class',
            '1',
        ],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    got = safe_load_pickle(out)
    expected = make_demo_data(num_subjects=2, samples_per_class_per_subject=1, seed=2, kind='2d')
    assert got['split'] == expected['split']
    for x, y in zip(got['annotations'], expected['annotations']):
        assert np.array_equal(x['keypoint'], y['keypoint']) and np.array_equal(x['keypoint_score'], y['keypoint_score'])
    bad = subprocess.run(
        [sys.executable, script, '--kind', 'rgb', '--out', str(tmp_path / 'x.pkl')],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
    )
    assert bad.returncode != 0 and '--kind' in bad.stderr and not (tmp_path / 'x.pkl').exists()


def test_classes_are_the_action_table_and_its_skeleton_is_the_layout():
    """One list of classes (the name -> planner table) and one skeleton (the 'nturgb+d' layout)."""
    from pyskl.core.layout import get_layout
    from pyskl.datasets.synthetic import kinematics

    assert CLASS_NAMES == tuple(synthetic.ACTIONS) and len(CLASS_NAMES) == 10
    assert all(callable(p) for p in synthetic.ACTIONS.values())
    layout = get_layout('nturgb+d')
    assert kinematics.LAYOUT is layout
    order = kinematics.FK_ORDER
    assert sorted(order) == list(range(layout.num_node)) and order[0] == 0
    assert all(order.index(synthetic.FK_PARENTS[j]) < order.index(j) for j in order[1:])  # parents first
    # every non-root joint has a rest offset; the right side mirrors the left
    for left, right in synthetic.LEFT_TO_RIGHT.items():
        (x, y, z), part = kinematics.SKELETON[left]
        assert kinematics.SKELETON[right] == ((-x, y, z), part)

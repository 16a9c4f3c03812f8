"""NTU RGB+D raw skeleton conversion on .skeleton files written here in the official format."""

import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from pyskl.datasets import PoseDataset
from pyskl.core.io import safe_load_pickle
from pyskl.datasets.ntu_skeleton import (
    DEFAULT_MISSING_LIST,
    NoBodyError,
    convert_ntu_skeletons,
    load_missing_list,
    ntu_splits,
    parse_ntu_name,
    read_skeleton_file,
    skeleton_to_annotation,
)
from repo_paths import REPO


def upright(rng, n, offset=0.0, amp=0.05):
    """``(n, 25, 3)`` standing bodies: x-extent ~0.4 m, y-extent ~1.6 m, moving by ``amp``."""
    base = np.stack([rng.uniform(-0.2, 0.2, 25), rng.uniform(-0.8, 0.8, 25), rng.uniform(2.5, 3.5, 25)], -1)
    base[:, 0] += offset
    motion = amp * rng.standard_normal((n, 1, 3))
    return (base[None] + motion).astype(np.float32)


def lying(rng, n):
    """``(n, 25, 3)`` "spread" noise: x-extent larger than the y-extent (an object, not a person)."""
    b = upright(rng, n, amp=0.3)
    return b[..., [1, 0, 2]].copy()


def write_skeleton(path, frames):
    """``frames``: list over frames of lists of ``(body_id, joints (25, 3))``."""
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, joints in bodies:
            lines.append(f'{body_id} 0 1 1 1 1 0 0.1 -0.2 2')
            lines.append('25')
            for x, y, z in joints:
                lines.append(f'{float(x)!r} {float(y)!r} {float(z)!r} 0.5 0.4 960.1 540.2 0.1 0.2 0.3 0.4 2')
    with open(path, 'w') as f:
        f.write('\r\n'.join(lines) + '\r\n')  # the official files use CRLF


def tracks(num_frames, *bodies):
    """Frames from ``(body_id, first_frame, joints (n, 25, 3))`` tracks."""
    frames = [[] for _ in range(num_frames)]
    for body_id, start, joints in bodies:
        for i, j in enumerate(joints):
            frames[start + i].append((body_id, j))
    return frames


def test_single_body_round_trip_and_empty_frames_dropped(tmp_path):
    rng = np.random.default_rng(0)
    joints = upright(rng, 30)
    # two leading and one trailing frame without a body, one inside: all dropped
    frames = (
        [[], []]
        + [[('72057594037931101', j)] for j in joints[:10]]
        + [[]]
        + [[('72057594037931101', j)] for j in joints[10:]]
        + [[]]
    )
    path = tmp_path / 'S001C001P001R001A010.skeleton'
    write_skeleton(path, frames)
    ann = skeleton_to_annotation(str(path))
    assert ann['frame_dir'] == 'S001C001P001R001A010' and ann['label'] == 9
    assert ann['keypoint'].dtype == np.float32 and ann['keypoint'].shape == (1, 30, 25, 3)
    assert ann['total_frames'] == 30
    np.testing.assert_array_equal(ann['keypoint'][0], joints)


def test_two_persons_noise_and_short_tracks(tmp_path):
    rng = np.random.default_rng(1)
    t = 40
    active = upright(rng, t, offset=-0.6, amp=0.3)  # most motion -> actor 1
    calm = upright(rng, t, offset=0.6, amp=0.01)  # -> actor 2
    noise = lying(rng, t)  # spread noise -> dropped
    short = upright(rng, 11, offset=2.0, amp=0.5)  # 11 frames -> dropped
    path = tmp_path / 'S001C002P002R001A050.skeleton'
    write_skeleton(path, tracks(t, ('1', 0, calm), ('2', 0, noise), ('3', 5, short), ('4', 0, active)))
    bodies, num_frames = read_skeleton_file(str(path))
    assert list(bodies) == ['1', '2', '4', '3'] and num_frames == t
    ann = skeleton_to_annotation(str(path))
    assert ann['keypoint'].shape == (2, t, 25, 3)
    np.testing.assert_array_equal(ann['keypoint'][0], active)
    np.testing.assert_array_equal(ann['keypoint'][1], calm)


def test_consecutive_tracks_share_the_first_slot(tmp_path):
    """A body ID that changes mid-sequence (tracking lost) continues actor 1; as in PYSKL, two
    tracks after denoising give two actor slots even when the second stays empty."""
    rng = np.random.default_rng(2)
    a, b = upright(rng, 20, amp=0.3), upright(rng, 20, amp=0.2)
    path = tmp_path / 'S002C001P003R002A001.skeleton'
    write_skeleton(path, tracks(40, ('10', 0, a), ('11', 20, b)))
    kp = skeleton_to_annotation(str(path))['keypoint']
    assert kp.shape == (2, 40, 25, 3)
    np.testing.assert_array_equal(kp[0], np.concatenate([a, b]))
    assert not kp[1].any()


def test_empty_and_malformed_files(tmp_path):
    empty = tmp_path / 'S001C001P001R001A001.skeleton'
    write_skeleton(empty, [[], [], []])
    with pytest.raises(NoBodyError, match='S001C001P001R001A001.skeleton: no body'):
        skeleton_to_annotation(str(empty))
    rng = np.random.default_rng(3)
    only_short = tmp_path / 'S001C001P001R001A002.skeleton'
    write_skeleton(only_short, tracks(10, ('1', 0, upright(rng, 10)), ('2', 0, upright(rng, 10))))
    with pytest.raises(NoBodyError, match='no body left after denoising'):
        skeleton_to_annotation(str(only_short))
    bad = tmp_path / 'S001C001P001R001A003.skeleton'
    write_skeleton(bad, [[('1', upright(rng, 1)[0])]])
    text = bad.read_text().split('\n')
    text[5] = '0.1 abc 0.3 0.5 0.4 960.1 540.2 0.1 0.2 0.3 0.4 2'
    bad.write_text('\n'.join(text))
    with pytest.raises(ValueError, match=r'S001C001P001R001A003.skeleton: line 6: joint coordinates'):
        read_skeleton_file(str(bad))
    with pytest.raises(ValueError, match='not an NTU RGB\\+D sample name'):
        parse_ntu_name('video01')


@pytest.mark.parametrize('value', ['nan', 'inf', '-Infinity', '1e400'])
def test_non_finite_coordinates_are_refused_naming_file_and_line(tmp_path, value):
    rng = np.random.default_rng(4)
    path = tmp_path / 'S001C001P001R001A004.skeleton'
    write_skeleton(path, [[('1', upright(rng, 1)[0])]])
    text = path.read_text().split('\n')
    text[7] = f'0.1 {value} 0.3 0.5 0.4 960.1 540.2 0.1 0.2 0.3 0.4 2'
    path.write_text('\n'.join(text))
    with pytest.raises(ValueError, match=r'S001C001P001R001A004.skeleton: line 8: joint coordinates are not finite'):
        read_skeleton_file(str(path))


def test_binary_garbage_and_all_zero_bodies(tmp_path):
    garbage = tmp_path / 'S001C001P001R001A005.skeleton'
    garbage.write_bytes(b'\x89PNG\r\n\x1a\n\xff\xfe')
    with pytest.raises(ValueError, match=r'S001C001P001R001A005.skeleton: not a text \.skeleton file'):
        read_skeleton_file(str(garbage))
    zeros = tmp_path / 'S001C001P001R001A006.skeleton'  # bodies whose joints are all 0: no frame to keep
    write_skeleton(zeros, [[('1', np.zeros((25, 3)))]] * 3)
    with pytest.raises(NoBodyError, match=r'S001C001P001R001A006.skeleton: .*all-zero'):
        skeleton_to_annotation(str(zeros))


def test_splits_and_missing_list():
    names = ['S001C001P001R001A001', 'S001C002P003R001A001', 'S018C003P045R002A061', 'S019C001P044R001A120']
    s60 = ntu_splits(names[:2], 'ntu60')
    assert s60 == dict(
        xsub_train=['S001C001P001R001A001'],
        xsub_val=['S001C002P003R001A001'],
        xview_train=['S001C002P003R001A001'],
        xview_val=['S001C001P001R001A001'],
    )
    s120 = ntu_splits(names, 'ntu120')
    assert s120['xsub_train'] == ['S001C001P001R001A001', 'S018C003P045R002A061']
    assert s120['xset_train'] == ['S018C003P045R002A061']
    assert s120['xset_val'] == ['S001C001P001R001A001', 'S001C002P003R001A001', 'S019C001P044R001A120']
    missing = load_missing_list(DEFAULT_MISSING_LIST)
    assert len(missing) == 535
    ntu60 = {n for n in missing if parse_ntu_name(n)['setup'] <= 17}
    assert len(ntu60) == 302 and 'S001C002P005R002A008' in ntu60


def make_folder(root, rng):
    """A small raw folder: 6 good NTU60 files, one NTU120 file, one empty, one on the missing list."""
    os.makedirs(root, exist_ok=True)
    good = [
        'S001C001P001R001A001',
        'S001C002P001R001A002',
        'S001C003P003R001A001',
        'S002C002P004R002A002',
        'S002C001P007R001A060',
        'S003C003P008R002A003',
        'S018C001P045R001A061',
    ]
    for i, name in enumerate(good):
        frames = tracks(20 + i, ('1', 0, upright(rng, 20 + i)))
        write_skeleton(osp.join(root, name + '.skeleton'), frames)
    write_skeleton(osp.join(root, 'S001C001P002R001A005.skeleton'), [[], []])
    write_skeleton(osp.join(root, 'S001C002P005R002A008.skeleton'), tracks(15, ('1', 0, upright(rng, 15))))
    return good


@pytest.mark.parametrize('num_workers', [0, 2])
def test_convert_folder_loads_through_pose_dataset(tmp_path, num_workers):
    good = make_folder(tmp_path / 'raw', np.random.default_rng(4))
    summary = convert_ntu_skeletons(
        str(tmp_path / 'raw'), str(tmp_path / 'out'), num_workers=num_workers, progress=False
    )
    assert summary['excluded'] == 1
    assert len(summary['skipped']) == 1 and 'S001C001P002R001A005' in summary['skipped'][0]
    ntu60 = safe_load_pickle(tmp_path / 'out' / 'ntu60_3danno.pkl')
    ntu120 = safe_load_pickle(tmp_path / 'out' / 'ntu120_3danno.pkl')
    assert [a['frame_dir'] for a in ntu60['annotations']] == sorted(good[:-1])
    assert [a['frame_dir'] for a in ntu120['annotations']] == sorted(good)
    assert sorted(ntu60['split']) == ['xsub_train', 'xsub_val', 'xview_train', 'xview_val']
    assert sorted(ntu120['split']) == ['xset_train', 'xset_val', 'xsub_train', 'xsub_val']
    ds = PoseDataset(str(tmp_path / 'out' / 'ntu60_3danno.pkl'), pipeline=[], split='xsub_train', layout='nturgb+d')
    assert len(ds) == 4  # subjects 1, 1, 4, 8 train; 3 and 7 validate
    ds = PoseDataset(str(tmp_path / 'out' / 'ntu120_3danno.pkl'), pipeline=[], split='xset_train', num_classes=120)
    assert [ds.get_data_info(i)['frame_dir'] for i in range(len(ds))] == [
        'S002C001P007R001A060',
        'S002C002P004R002A002',
        'S018C001P045R001A061',
    ]


def test_cli(tmp_path):
    make_folder(tmp_path / 'raw', np.random.default_rng(5))
    proc = subprocess.run(
        [
            sys.executable,
            osp.join(REPO, 'tools', 'data', 'ntu_preproc.py'),
            '--data-path',
            str(tmp_path / 'raw'),
            '--out-dir',
            str(tmp_path / 'out'),
            '--no-missing-list',
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'skipped: ' in proc.stderr and 'S001C001P002R001A005' in proc.stderr
    assert 'wrote 7 samples' in proc.stdout and 'wrote 8 samples' in proc.stdout  # missing list off
    proc = subprocess.run(
        [
            sys.executable,
            osp.join(REPO, 'tools', 'data', 'ntu_preproc.py'),
            '--data-path',
            str(tmp_path / 'nowhere'),
            '--out-dir',
            str(tmp_path / 'out'),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and 'nowhere' in proc.stderr


@pytest.mark.parametrize('count', ['--5', '\u00b2', '7' * 5000, '-1', '1.5'])
def test_counts_that_are_not_plain_ints_name_file_and_line(tmp_path, count):
    # '--5' and '²' passed the old check and failed in int() without a file; 5000 digits hit int_max_str_digits
    path = tmp_path / 'S001C001P001R001A001.skeleton'
    path.write_text(f'{count}\n', encoding='utf-8')
    with pytest.raises(ValueError, match=f'^{path}: line 1: expected the frame count'):
        read_skeleton_file(str(path))


def test_setup_18_only_folder_and_early_folder_errors(tmp_path):
    # a folder of NTU-120-only setups (S018+, actions <= 60) wrote nothing and exited 0; an --out-dir that is a file
    # failed after the whole conversion; a missing list that is not UTF-8 named no file
    rng = np.random.default_rng(6)
    raw = tmp_path / 'raw'
    raw.mkdir()
    write_skeleton(raw / 'S018C001P045R001A001.skeleton', tracks(40, ('1', 0, upright(rng, 40))))
    summary = convert_ntu_skeletons(str(raw), str(tmp_path / 'out'), missing_list=None, progress=False)
    assert [osp.basename(p) for p in summary['written']] == ['ntu120_3danno.pkl']
    (tmp_path / 'file').write_text('x')
    with pytest.raises(ValueError, match='--out-dir .*file: exists and is not a directory'):
        convert_ntu_skeletons(str(raw), str(tmp_path / 'file'), missing_list=None, progress=False)
    bad_list = tmp_path / 'missing.txt'
    bad_list.write_bytes(b'S001C001P001R001A001\n\xff\xfe\n')
    with pytest.raises(ValueError, match=f'^{bad_list}: line 2: .* is not an NTU sample name'):
        load_missing_list(str(bad_list))
    empty = tmp_path / 'empty'
    empty.mkdir()
    write_skeleton(empty / 'S001C001P001R001A001.skeleton', [[], []])
    with pytest.raises(ValueError, match='has a usable body: nothing to write'):
        convert_ntu_skeletons(str(empty), str(tmp_path / 'out2'), missing_list=None, progress=False)

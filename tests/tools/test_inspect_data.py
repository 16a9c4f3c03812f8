"""tools/misc/inspect_data.py (issue 10, item 6) on generated data: clean (exit 0), corrupted (exit 1
with the validator's messages), warnings only (exit 0), unreadable input (exit 1), and the PNG."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from pyskl.core.io import dump_pickle, safe_load_pickle
from pyskl.datasets.synthetic import make_demo_dataset
from repo_paths import REPO

TOOL = os.path.join(REPO, 'tools', 'misc', 'inspect_data.py')


def inspect(*args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, TOOL, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode >= 0, proc.stderr  # never killed by a signal
    return proc


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('inspect')
    path = str(root / 'demo.pkl')
    make_demo_dataset(path, num_subjects=3, samples_per_class_per_subject=3, seed=0)
    return path


def test_clean_data_exits_0_with_summary_and_png(demo, tmp_path):
    png, js = tmp_path / 'out' / 'summary.png', tmp_path / 'report.json'
    proc = inspect(demo, '--plot', png, '--json', js)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert 'Annotations: 90; inspected: 90 (all samples)' in out
    assert 'Splits: xsub_train=60, xsub_val=30, xview_train=60, xview_val=30' in out
    assert 'Classes: 10 labels in [0, 9]; samples per class min 9, max 9' in out
    assert 'Joints: V=25: 90 (layout guess: nturgb+d); channels: C=3: 90' in out
    assert 'keypoint_score: present in 0 of 90 samples' in out
    assert 'Errors: none' in out and 'Warnings: none' in out and 'Result: OK' in out

    data = safe_load_pickle(demo)
    frames = [a['keypoint'].shape[1] for a in data['annotations']]
    assert f'Frames T: min {min(frames)}, median {np.median(frames):g}, max {max(frames)}' in out

    # a real PNG of the documented size (1200 x 800 at dpi 100)
    with open(png, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    from matplotlib.image import imread

    img = imread(str(png))
    assert img.shape[:2] == (800, 1200)
    assert img[..., :3].std() > 0.05  # something is drawn
    report = json.load(open(js))
    assert report['ok'] is True and report['num_samples'] == 90 and report['layout_guess'] == 'nturgb+d'
    assert sum(report['class_counts'].values()) == 90 and report['persons']['min'] >= 1


def test_one_split_and_2d_data(tmp_path):
    path = str(tmp_path / 'demo2d.pkl')
    make_demo_dataset(path, num_subjects=3, samples_per_class_per_subject=1, kind='2d')
    proc = inspect(path, '--split', 'xsub_val', '--num-classes', 10, '--joints', 17)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "inspected: 10 (split 'xsub_val')" in proc.stdout
    assert 'V=17: 10 (layout guess: coco); channels: C=2: 10' in proc.stdout
    assert 'keypoint_score: present in 10 of 10 samples' in proc.stdout


def _corrupted(demo, tmp_path):
    data = safe_load_pickle(demo)
    anns = data['annotations']
    dup = dict(anns[0], label=(anns[0]['label'] + 1) % 10)  # duplicate frame_dir, conflicting label
    anns.append(dup)
    anns[1]['keypoint'] = anns[1]['keypoint'][:0]  # M = 0
    anns[2]['keypoint'] = anns[2]['keypoint'].copy()
    anns[2]['keypoint'][0, 5, 3, 0] = np.nan  # non-finite
    anns[3]['label'] = 12  # >= num_classes
    anns[4]['keypoint'] = np.zeros_like(anns[4]['keypoint'])  # all zero (warning)
    data['split']['xview_val'] = 'S001C001P001R001A001'  # a string, not a list
    data['split']['xsub_val'].append(data['split']['xsub_train'][0])  # train/val overlap (warning)
    path = str(tmp_path / 'bad.pkl')
    dump_pickle(data, path)
    return path, anns


def test_corrupted_data_exits_1_naming_every_problem(demo, tmp_path):
    path, anns = _corrupted(demo, tmp_path)
    proc = inspect(path, '--num-classes', 10)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert 'Result: ERRORS' in out
    for text in (
        f"annotations[90] (frame_dir='{anns[0]['frame_dir']}'): field 'frame_dir': duplicate of annotations[0]"
        f' (conflicting labels',
        "field 'keypoint': has no persons (M=0",
        'NaN/Inf value(s), the first at index (0, 5, 3, 0)',
        "field 'label': 12 is out of range [0, 10)",
        "field 'split': split 'xview_val' is a str ('S001C001P001R001A001')",
        "field 'keypoint': all coordinates are zero",
        "split 'xsub_train' shares 1 sample(s) with split 'xsub_val'",
    ):
        assert text in out, (text, out)
    assert 'Errors: 5 (' in out and 'Warnings: 2 (' in out
    # the split the string broke is reported as "not a list", not as names '0', '1', ...
    assert 'xview_val=not a list' in out and "'0'" not in out

    # one split: the same verdict and error count as PoseDataset's load-time validation
    from pyskl.datasets import PoseDataset

    for split in ('xsub_train', 'xsub_val'):
        proc = inspect(path, '--split', split, '--num-classes', 10)
        try:
            PoseDataset(path, [], split=split, num_classes=10)
        except ValueError as e:
            count = int(re.match(r'.*?: (\d+) problem', str(e)).group(1))
            assert proc.returncode == 1 and f'Errors: {count} (' in proc.stdout, (str(e), proc.stdout)
        else:
            assert proc.returncode == 0, proc.stdout


def test_warnings_only_exit_0_unless_value_checks_error(demo, tmp_path):
    data = safe_load_pickle(demo)
    data['annotations'][7]['keypoint'] = data['annotations'][7]['keypoint'] * 1e5  # metres -> absurd
    path = str(tmp_path / 'big.pkl')
    dump_pickle(data, path)
    proc = inspect(path)
    assert proc.returncode == 0, proc.stdout
    assert 'Warnings: 1 (keypoint: magnitude x1)' in proc.stdout and '|x| > 10000' in proc.stdout
    proc = inspect(path, '--value-checks', 'error')
    assert proc.returncode == 1 and 'Errors: 1 (keypoint: magnitude x1)' in proc.stdout
    assert inspect(path, '--value-bound', '1e7').returncode == 0


def test_unreadable_input_exits_1_with_one_line(demo, tmp_path):
    for args, message in (
        ((tmp_path,), 'is a directory, not an annotation pickle'),
        ((tmp_path / 'nope.pkl',), 'not found'),
        ((demo, '--split', 'train'), "split 'train' not found; available splits"),
    ):
        proc = inspect(*args)
        assert proc.returncode == 1 and message in proc.stderr and 'Traceback' not in proc.stderr, proc.stderr
    assert inspect(demo, '--value-checks', 'loud').returncode == 2


@pytest.mark.parametrize(
    'args', [('--num-classes', '0'), ('--joints', '-1'), ('--value-bound', 'nan'), ('--value-bound', '-5')]
)
def test_bad_options_exit_2_naming_the_option(demo, args):
    """--num-classes 0 used to report every label as out of range (exit 1, 'ERRORS'), as if the data were bad."""
    proc = inspect(demo, *args)
    assert proc.returncode == 2 and f'argument {args[0]}' in proc.stderr and 'positive' in proc.stderr, proc.stderr


def test_the_api_refuses_bad_options_before_reading_the_file(tmp_path):
    from pyskl.datasets.inspection import inspect_annotations

    absent = str(tmp_path / 'absent.pkl')  # not read: the options fail first
    for kwargs, message in (
        (dict(num_classes=0), 'num_classes must be a positive int'),
        (dict(num_node=True), 'num_node must be a positive int'),
        (dict(value_bound=float('nan')), 'value_bound must be a positive number'),
        (dict(value_checks='loud'), 'value_checks must be one of'),
    ):
        with pytest.raises(ValueError, match=f'inspect_annotations: {message}'):
            inspect_annotations(absent, **kwargs)


def test_layout_guess_table_matches_the_layouts():
    """The joint-count table the inspector uses is that of the models' Layout definitions."""
    from pyskl.datasets.inspection import guess_layout_name
    from pyskl.core.layout import LAYOUTS

    for name, layout in LAYOUTS.items():
        if layout.stored_as is None:  # a derived layout (coco_new: 20 joints built from stored coco data)
            assert guess_layout_name(layout.num_node) == name
    assert guess_layout_name(21) == 'custom' and guess_layout_name(None) == 'unknown'

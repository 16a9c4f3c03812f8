"""pyskl.apis.streams in-process (GPUS = 1): the joint and bone streams of CTR-GCN and ProtoGCN are trained for one
epoch on tiny synthetic data, tested, and their result files fused by ``pyskl fuse`` (issue 12: multi-stream fusion
works for their result files); the streams of one process share no runner state."""

import glob
import os
import pickle

import numpy as np
import pytest

from pyskl.apis.streams import TrainOptions, run_streams, stream_state

pytestmark = pytest.mark.slow

FAMILIES = {
    # config folder, backbone overrides, head width (= 4 x base_channels)
    'ctrgcn': ('configs/ctrgcn/ctrgcn_pyskl_ntu60_xsub_3dkp', dict(base_channels=16), 64),
    'protogcn': ('configs/protogcn/ntu60_xsub_3dkp', dict(base_channels=16, num_prototype=10), 64),
}


@pytest.fixture(scope='module')
def ann(tmp_path_factory):
    """3 subjects x 10 classes, one sample each: xsub_train 20, xsub_val 10."""
    from pyskl.datasets.synthetic import make_demo_dataset

    path = str(tmp_path_factory.mktemp('streams_data') / 'demo_3danno.pkl')
    make_demo_dataset(path, num_subjects=3, samples_per_class_per_subject=1, seed=0)
    return path


def tiny_family(repo, folder, backbone, head, ann_file, out_dir, streams=('j', 'b')):
    """``streams`` (default j.py and b.py) of a real family, shrunk: 16-frame clips, one clip, batch 4, one epoch,
    10 classes."""
    from pyskl.core.config import load_config

    os.makedirs(out_dir)
    for stream in streams:
        cfg = load_config(
            os.path.join(repo, folder, f'{stream}.py'), dict(num_classes=10, ann_file=ann_file, clip_len=16)
        )
        cfg.model.backbone.update(backbone)
        cfg.model.cls_head.in_channels = head
        for name in ('train', 'val', 'test'):
            loader = cfg[f'{name}_dataloader']
            loader.update(batch_size=4, num_workers=0, persistent_workers=False)
            dataset = loader.dataset
            if dataset.type == 'RepeatDataset':
                dataset.times = 1
                dataset = dataset.dataset
            for t in dataset.pipeline:
                if 'num_clips' in t:
                    t['num_clips'] = 1
        cfg.train_cfg.update(max_epochs=1, val_interval=1)
        cfg.default_hooks.checkpoint.update(interval=1, save_best=None)
        cfg.dump(os.path.join(out_dir, f'{stream}.py'))
    return out_dir


@pytest.mark.parametrize('family', list(FAMILIES))
def test_two_streams_train_test_and_fuse(family, ann, tmp_path, repo_root, capsys):
    from pyskl.cli.fuse import main as fuse

    folder, backbone, head = FAMILIES[family]
    cfg_dir = tiny_family(repo_root, folder, backbone, head, ann, str(tmp_path / family))
    root = str(tmp_path / 'work')
    lines = []
    res = run_streams(cfg_dir, 1, TrainOptions(seed=0), work_root=root, progress=lines.append)
    assert list(res['streams']) == ['j', 'b'] and list(res['fusions']) == ['2s']
    for s in ('j', 'b'):
        info = res['streams'][s]
        assert info['state'] == 'new' and info['trained'] and info['tested']
        assert stream_state(info['work_dir'], 1) == ('finished', info['checkpoint'])
        with open(info['result'], 'rb') as f:
            result = pickle.load(f)
        assert len(result) == 10 and result[0].shape == (10,) and abs(float(result[0].sum()) - 1) < 1e-4
        # each runner logged to its own file, nothing of the other stream (no shared MessageHub / logger)
        logs = sorted(glob.glob(os.path.join(info['work_dir'], '*', '*.log')))
        assert len(logs) == 2, logs  # training, test
        other = 'b' if s == 'j' else 'j'
        for log in logs:
            text = open(log).read()
            assert os.path.join(root, other) not in text
    assert any(line.startswith('j: training') for line in lines)

    # pyskl fuse on the two result.pkl files, labels from the annotation file
    capsys.readouterr()
    preds = [res['streams'][s]['result'] for s in ('j', 'b')]
    assert fuse(['--preds', *preds, '--ann-file', ann, '--split', 'xsub_val', '--weights', '1', '1']) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    dumps = {}
    for s in ('j', 'b'):
        with open(res['streams'][s]['dump'], 'rb') as f:
            dumps[s] = pickle.load(f)
    labels = np.array([d['gt_label'] for d in dumps['j']])
    fused = sum(np.stack([d['pred_score'] for d in dumps[s]]) for s in ('j', 'b'))
    top1 = 100 * np.mean(np.argmax(fused, 1) == labels)
    assert rows['Fusion'][1] == '1:1' and float(rows['Fusion'][2]) == pytest.approx(top1, abs=0.006)
    assert float(rows['Fusion'][2]) == pytest.approx(100 * res['fusions']['2s']['metrics']['top1'], abs=0.006)

    # a second call finds both streams finished and their results complete: nothing runs again
    lines.clear()
    again = run_streams(cfg_dir, 1, TrainOptions(seed=0), work_root=root, progress=lines.append)
    assert not any(info['trained'] or info['tested'] for info in again['streams'].values())
    assert [line.split(':')[0] for line in lines if 'test skipped' in line] == ['j', 'b']
    assert again['fusions']['2s']['metrics'] == res['fusions']['2s']['metrics']
    # the same folder with another width: the finished runs are not this configuration's, so nothing is reused
    wider = TrainOptions(seed=0, cfg_options={'model.backbone.base_channels': 12, 'model.cls_head.in_channels': 48})
    with pytest.raises(
        ValueError, match=r'was trained with another configuration \(config\.model\.backbone\.base_channels'
    ):
        run_streams(cfg_dir, 1, wider, work_root=root, progress=lines.append)


def test_protogcn_folders_have_six_streams_and_a_six_stream_fusion(repo_root):
    """ProtoGCN's released ensemble is J:B:K:JM:BM:KM = 2:2:2:1:1:1 (its tools/ensemble.py); `pyskl streams` used to
    know only j, b, jm, bm, so the K-bone streams were never trained or fused (and `--streams k` was refused)."""
    from pyskl.apis.streams import find_stream_configs
    from pyskl.cli.streams import build_parser
    from pyskl.evaluation.fusion import STREAM_WEIGHTS

    proto = os.path.join(repo_root, 'configs', 'protogcn', 'ntu60_xsub_3dkp')
    assert [s for s, _ in find_stream_configs(proto)] == ['j', 'b', 'k', 'jm', 'bm', 'km']
    plain = os.path.join(repo_root, 'configs', 'stgcn++', 'stgcn++_ntu60_xsub_3dkp')
    assert [s for s, _ in find_stream_configs(plain)] == ['j', 'b', 'jm', 'bm']
    assert STREAM_WEIGHTS['6s'] == {'j': 2, 'b': 2, 'k': 2, 'jm': 1, 'bm': 1, 'km': 1}
    assert build_parser().parse_args([proto, '1', '--streams', 'k', 'km']).streams == ['k', 'km']


def test_protogcn_six_streams_train_test_and_fuse_2_4_6(ann, tmp_path, repo_root):
    folder, backbone, head = FAMILIES['protogcn']
    streams = ('j', 'b', 'k', 'jm', 'bm', 'km')
    cfg_dir = tiny_family(repo_root, folder, backbone, head, ann, str(tmp_path / 'proto6'), streams)
    res = run_streams(cfg_dir, 1, TrainOptions(seed=0), work_root=str(tmp_path / 'work'))
    assert list(res['streams']) == list(streams) and list(res['fusions']) == ['2s', '4s', '6s']
    dumps = {}
    for s in streams:
        with open(res['streams'][s]['dump'], 'rb') as f:
            dumps[s] = pickle.load(f)
    labels = np.array([d['gt_label'] for d in dumps['j']])
    weights = dict(j=2, b=2, k=2, jm=1, bm=1, km=1)
    fused = sum(w * np.stack([d['pred_score'] for d in dumps[s]]) for s, w in weights.items())
    assert res['fusions']['6s']['streams'] == list(streams)
    assert res['fusions']['6s']['metrics']['top1'] == pytest.approx(np.mean(np.argmax(fused, 1) == labels))

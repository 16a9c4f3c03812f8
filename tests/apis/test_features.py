"""Backbone features: keyed by frame_dir, shaped as documented, pooled as the head pools them."""

import numpy as np
import pytest
import torch

from pyskl.apis.features import extract_features, feature_pipeline, save_features
from pyskl.apis.predict import load_pickle
from pyskl.core.io import safe_load_pickle
from commands import run_pyskl

pytestmark = pytest.mark.slow


def test_features_are_the_head_input_and_keyed_by_frame_dir(demo_model, demo_trained, tmp_path):
    samples = load_pickle(demo_trained['ann_file'], split='xsub_val')
    feats = extract_features(demo_model, samples, unpooled=True, batch_size=7)
    names = demo_trained['data']['split']['xsub_val']
    N, C = len(names), demo_model.cls_head.in_channels
    assert feats['frame_dir'] == names
    assert feats['label'].tolist() == [a['label'] for a in samples]
    assert feats['pooled'].shape == (N, C) and feats['pooled'].dtype == np.float32
    # (N, M, C, T', V): 2 persons, 30 frames strided twice by 2 -> 8, 25 joints
    assert feats['unpooled'].shape == (N, 2, C, 8, 25)
    np.testing.assert_allclose(feats['unpooled'].mean(axis=(3, 4)).mean(axis=1), feats['pooled'], atol=1e-5)
    # the classifier on the pooled features gives the model's scores for the same one-clip input
    x = torch.stack(
        [
            feature_pipeline(demo_model)(dict(a, test_mode=True, start_index=0, modality='Pose'))['inputs'][0]
            for a in samples[:4]
        ]
    )
    with torch.no_grad():
        expected = demo_model(x, mode='tensor')
        got = demo_model.cls_head.fc_cls(torch.from_numpy(feats['pooled'][:4]))
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    # batch size changes nothing
    again = extract_features(demo_model, samples[:5], batch_size=2)
    np.testing.assert_allclose(again['pooled'], feats['pooled'][:5], atol=1e-5)
    assert 'unpooled' not in again

    written = save_features(str(tmp_path / 'f.pkl'), feats, dict(split='xsub_val'))
    loaded = safe_load_pickle(written[0])
    assert loaded['frame_dir'] == names and loaded['meta'] == dict(split='xsub_val')
    np.testing.assert_array_equal(loaded['unpooled'], feats['unpooled'])
    written = save_features(str(tmp_path / 'f.npy'), feats)
    assert written == [str(tmp_path / 'f.npy'), str(tmp_path / 'f.frame_dir.txt'), str(tmp_path / 'f.unpooled.npy')]
    np.testing.assert_array_equal(np.load(written[0]), feats['pooled'])
    assert (tmp_path / 'f.frame_dir.txt').read_text().split('\n')[:-1] == names
    with pytest.raises(ValueError, match='.pkl or .npy'):
        save_features(str(tmp_path / 'f.h5'), feats)


def test_extract_features_command(demo_trained, tmp_path):
    out = tmp_path / 'train.npy'
    command = ('extract-features', demo_trained['ckpt'], '--ann-file', demo_trained['ann_file'], '--out', str(out))
    proc = run_pyskl(*command, '--split', 'xsub_train')
    assert proc.returncode == 0, proc.stderr
    names = demo_trained['data']['split']['xsub_train']
    assert np.load(out).shape == (len(names), 32)
    assert (tmp_path / 'train.frame_dir.txt').read_text().split() == names
    assert f'{len(names)} samples of' in proc.stdout and not (tmp_path / 'train.unpooled.npy').exists()
    proc = run_pyskl(*command, '--split', 'nope')
    assert proc.returncode == 1 and "split 'nope' not found" in proc.stderr


def test_npy_names_list_refuses_names_with_line_breaks(tmp_path):
    # FILE.frame_dir.txt holds one name per line: 'a\nb' made 3 lines for 2 rows, every later row misnamed
    from pyskl.apis.features import save_features

    feats = dict(frame_dir=['ok', 'a\nb'], label=np.zeros(2, np.int64), pooled=np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"frame_dir 'a\\nb' holds a line break"):
        save_features(str(tmp_path / 'f.npy'), feats)
    assert not (tmp_path / 'f.npy').exists()
    assert save_features(str(tmp_path / 'f.pkl'), feats) == [str(tmp_path / 'f.pkl')]

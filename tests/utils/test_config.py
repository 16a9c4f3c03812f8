import pytest

from pyskl.utils.config import load_config


def gen_feats(cfg):
    found = []
    for name in ('train_pipeline', 'val_pipeline', 'test_pipeline'):
        found += [t['feats'] for t in cfg[name] if t['type'] == 'GenSkeFeat']
    found += [t['feats'] for t in cfg.train_dataloader.dataset.dataset.pipeline if t['type'] == 'GenSkeFeat']
    found += [t['feats'] for t in cfg.test_dataloader.dataset.pipeline if t['type'] == 'GenSkeFeat']
    return found


@pytest.mark.parametrize('leaf,feats', [('j', ['j']), ('b', ['b']), ('jm', ['jm']), ('bm', ['bm'])])
def test_modality_leaves(repo_root, leaf, feats):
    cfg = load_config(f'{repo_root}/configs/stgcn++/stgcn++_ntu60_xsub_3dkp/{leaf}.py')
    assert cfg.feats == feats
    found = gen_feats(cfg)
    assert len(found) == 5 and all(f == feats for f in found)
    assert cfg.model.backbone.in_channels == 3


def test_cfg_options_two_streams(repo_root):
    cfg = load_config(f'{repo_root}/configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py',
                      cfg_options={'feats': ['j', 'b'], 'train_dataloader.batch_size': 4})
    assert cfg.model.backbone.in_channels == 6
    found = gen_feats(cfg)
    assert len(found) == 5 and all(f == ['j', 'b'] for f in found)
    assert cfg.train_dataloader.batch_size == 4


def test_bad_feats(repo_root):
    with pytest.raises(ValueError, match='feats'):
        load_config(f'{repo_root}/configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py', cfg_options={'feats': ['x']})

"""The experiment's top-level facts (feats, kp_channels, layout, num_classes, ann_file, clip_len): one
resolution step, in a leaf (``resolve_leaf(globals())``, so plain mmengine sees the same config) and for
``--cfg-options`` (``load_config``); every disagreement is an error naming both keys."""

import os
import textwrap

import pytest
from mmengine.config import Config

from pyskl.core.config import load_config
from repo_paths import CONFIG_DIR, REPO

ZOO_J = os.path.join(CONFIG_DIR, 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', 'j.py')
DEMO_J = os.path.join(CONFIG_DIR, 'stgcn++', 'stgcn++_demo_3dkp', 'j.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def leaves():
    found = []
    for root, dirs, files in os.walk(CONFIG_DIR):
        dirs[:] = sorted(d for d in dirs if d != '_base_')
        found += [os.path.relpath(os.path.join(root, f), REPO) for f in sorted(files) if f.endswith('.py')]
    return sorted(found)


def datasets(cfg):
    for loader in LOADERS:
        ds = cfg[loader].dataset
        yield loader, (ds.dataset if ds.type == 'RepeatDataset' else ds)


def summary(cfg):
    """What a run is made of: every GenSkeFeat's feats and layout, every sampler's clip_len (in the dataloaders
    and the top-level pipeline variables), the backbone's channels and layout, the head's classes, and each
    dataset's ann_file / num_classes / layout."""
    out = dict(
        in_channels=cfg.model.backbone.get('in_channels'),
        graph_layout=cfg.model.backbone.get('graph_cfg', {}).get('layout'),
        head_classes=cfg.model.cls_head.get('num_classes'),
    )
    pipes = {name: cfg[name] for name in ('train_pipeline', 'val_pipeline', 'test_pipeline') if name in cfg}
    for loader, ds in datasets(cfg):
        out[loader] = (ds.get('ann_file'), ds.get('num_classes'), ds.get('layout'))
        pipes[loader] = ds.pipeline
    for name, pipe in pipes.items():
        out[name + '.GenSkeFeat'] = [
            (list(t.get('feats', ['j'])), t.get('layout', t.get('dataset'))) for t in pipe if t['type'] == 'GenSkeFeat'
        ]
        out[name + '.clip_len'] = [t['clip_len'] for t in pipe if t['type'].startswith('UniformSample')]
    return out


@pytest.mark.parametrize('path', leaves())
def test_plain_mmengine_means_the_same(path):
    """Every leaf under configs/ (j, b, jm, bm, demo, MMAction2-named): ``Config.fromfile`` alone (what
    ``Runner.from_cfg`` users do) gives exactly the config pyskl's tools run, and it is consistent."""
    plain = Config.fromfile(os.path.join(REPO, path))
    ours = load_config(os.path.join(REPO, path))
    assert summary(plain) == summary(ours)
    assert plain.to_dict() == ours.to_dict()
    s = summary(plain)
    feats = plain.feats
    assert s['in_channels'] == plain.get('kp_channels', 3) * len(feats)
    assert s['graph_layout'] == plain.layout and s['head_classes'] == plain.num_classes
    for loader in LOADERS:
        assert s[loader] == (plain.ann_file, plain.num_classes, plain.layout), loader
    for key, value in s.items():
        if key.endswith('.GenSkeFeat'):
            assert value and all(v == (feats, plain.layout) for v in value), key
        if key.endswith('.clip_len'):
            assert value and all(v == plain.clip_len for v in value), key


@pytest.mark.parametrize('leaf,feats', [('j', ['j']), ('b', ['b']), ('jm', ['jm']), ('bm', ['bm'])])
def test_modality_leaves(leaf, feats):
    cfg = Config.fromfile(os.path.join(CONFIG_DIR, 'stgcn++', 'stgcn++_ntu60_xsub_3dkp', f'{leaf}.py'))
    s = summary(cfg)
    found = [v for k, v in s.items() if k.endswith('.GenSkeFeat')]
    assert len(found) == 6 and all(v == [(feats, 'nturgb+d')] for v in found)
    assert cfg.model.backbone.in_channels == 3


@pytest.mark.parametrize('config', [ZOO_J, DEMO_J])
def test_cfg_options_facts_reach_everything(config, tmp_path):
    """``--cfg-options num_classes=5 layout=coco feats=[j,b] ann_file=... clip_len=16`` reach the model, every
    dataset and every pipeline (on the demo too, whose leaf sets num_classes and ann_file itself)."""
    ann = str(tmp_path / 'mine.pkl')
    cfg = load_config(
        config,
        cfg_options=dict(
            num_classes=5,
            layout='coco',
            feats=['j', 'b'],
            ann_file=ann,
            clip_len=16,
            **{'train_dataloader.batch_size': 4},
        ),
    )
    s = summary(cfg)
    assert (s['in_channels'], s['graph_layout'], s['head_classes']) == (6, 'coco', 5)
    for loader in LOADERS:
        assert s[loader] == (ann, 5, 'coco')
    for key, value in s.items():
        if key.endswith('.GenSkeFeat'):
            assert value == [(['j', 'b'], 'coco')], key
        if key.endswith('.clip_len'):
            assert value == [16], key
    assert cfg.train_dataloader.batch_size == 4


@pytest.mark.parametrize(
    'options,message',
    [
        # issue 9: an explicit in_channels that disagrees with feats (was silently reset to 3)
        (
            {'model.backbone.in_channels': 6},
            r"model\.backbone\.in_channels=6 disagrees with feats=\['j'\] "
            r'\(kp_channels 3 x 1 feature\(s\) = 3 channels\)',
        ),
        (
            {'feats': ['j', 'b'], 'model.backbone.in_channels': 3},
            r'model\.backbone\.in_channels=3 disagrees with feats',
        ),
        (
            {'num_classes': 5, 'model.cls_head.num_classes': 7},
            r'model\.cls_head\.num_classes=7 disagrees with num_classes=5',
        ),
        ({'model.cls_head.num_classes': 7}, r'model\.cls_head\.num_classes=7 disagrees with num_classes=10'),
        (
            {'layout': 'coco', 'train_dataloader.dataset.dataset.layout': 'nturgb+d'},
            r"train_dataloader\.dataset\.dataset\.layout='nturgb\+d' disagrees with layout='coco'",
        ),
        (
            {'val_dataloader.dataset.ann_file': 'other.pkl'},
            r"val_dataloader\.dataset\.ann_file='other\.pkl' disagrees with ann_file='data/demo/demo_3danno\.pkl'",
        ),
        (
            {'test_dataloader.dataset.pipeline.2.clip_len': 40},
            r'test_dataloader\.dataset\.pipeline\.2\.clip_len=40 disagrees with clip_len=30',
        ),
        ({'feats': ['x']}, r'feats must be a non-empty list'),
        ({'num_classes': 0}, r'num_classes must be a positive int; got 0'),
        ({'num_classes': '60'}, r"num_classes must be a positive int; got '60'"),
        ({'num_classes': 2.5}, r'num_classes must be a positive int; got 2.5'),
        ({'clip_len': 0}, r'clip_len must be a positive int; got 0'),
        ({'clip_len': -5}, r'clip_len must be a positive int; got -5'),
    ],
)
def test_disagreements_are_errors(options, message):
    with pytest.raises(ValueError, match=message) as err:
        load_config(DEMO_J, cfg_options=options)
    assert DEMO_J in str(err.value)


def test_every_dataset_set_alike_moves_the_fact():
    """Setting one fact in all of its places (the documented three ann_file overrides) is the same as
    setting it at the top level; ``ann_file=None`` lets the datasets differ."""
    cfg = load_config(
        DEMO_J,
        cfg_options={
            f'{p}.ann_file': 'x.pkl'
            for p in ('train_dataloader.dataset.dataset', 'val_dataloader.dataset', 'test_dataloader.dataset')
        },
    )
    assert cfg.ann_file == 'x.pkl'
    cfg = load_config(DEMO_J, cfg_options={'ann_file': None, 'val_dataloader.dataset.ann_file': 'v.pkl'})
    assert [ds.ann_file for _, ds in datasets(cfg)] == [
        'data/demo/demo_3danno.pkl',
        'v.pkl',
        'data/demo/demo_3danno.pkl',
    ]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_user_leaf_with_resolve_leaf(tmp_path):
    """A user's leaf over a zoo config: its facts reach everything under plain mmengine too."""
    path = write(
        tmp_path,
        'mine.py',
        f"""
        _base_ = [{ZOO_J!r}]
        feats = ['bm']
        num_classes = 7
        layout = 'coco'
        model = dict(backbone=dict(base_channels=16))

        from pyskl.core.config import resolve_leaf  # noqa: E402
        resolve_leaf(globals())
        """,
    )
    plain = Config.fromfile(path)
    assert plain.to_dict() == load_config(path).to_dict()
    s = summary(plain)
    assert (s['graph_layout'], s['head_classes'], plain.model.backbone.base_channels) == ('coco', 7, 16)
    assert all(s[loader][1:] == (7, 'coco') for loader in LOADERS)
    assert all(v == [(['bm'], 'coco')] for k, v in s.items() if k.endswith('.GenSkeFeat'))


def test_user_leaf_contradicting_itself(tmp_path):
    """A leaf that sets a fact and an explicit value contradicting it fails while loading, naming both."""
    path = write(
        tmp_path,
        'bad.py',
        f"""
        _base_ = [{ZOO_J!r}]
        num_classes = 7
        model = dict(cls_head=dict(num_classes=60))

        from pyskl.core.config import resolve_leaf  # noqa: E402
        resolve_leaf(globals())
        """,
    )
    with pytest.raises(ValueError, match=r'model\.cls_head\.num_classes=60 disagrees with num_classes=7'):
        Config.fromfile(path)


def test_leaf_without_resolve_leaf_is_refused(tmp_path):
    """The thin leaf of the old convention means feats=['j'] pipelines under plain mmengine: pyskl refuses it
    (naming the places) instead of training something else than plain mmengine would."""
    path = write(
        tmp_path,
        'b.py',
        f"""
        _base_ = [{ZOO_J!r}]
        feats = ['b']
        """,
    )
    assert Config.fromfile(path).train_dataloader.dataset.dataset.pipeline[1].feats == ['j']
    with pytest.raises(
        ValueError,
        match=r"train_dataloader\.dataset\.dataset\.pipeline\.1\.feats=\['j'\] disagrees "
        r"with feats=\['b'\]",
    ) as err:
        load_config(path)
    assert path in str(err.value) and 'resolve_leaf(globals())' in str(err.value)


@pytest.mark.parametrize(
    'options, message',
    [
        ({'train_cfg.max_epochs': 0}, r'train_cfg\.max_epochs must be a positive int; got 0'),
        ({'train_cfg.max_epochs': -1}, r'train_cfg\.max_epochs must be a positive int; got -1'),
        ({'train_cfg.max_epochs': 1.5}, r'train_cfg\.max_epochs must be a positive int; got 1\.5'),
        ({'train_cfg.val_interval': 0}, r'train_cfg\.val_interval must be a positive int; got 0'),
        ({'train_cfg.val_begin': '2'}, r"train_cfg\.val_begin must be a positive int; got '2'"),
    ],
)
def test_bad_training_length_is_an_error_before_anything_runs(options, message):
    """Caught when the config is loaded, not after an epoch (val_interval=0 was a ZeroDivisionError at the end of
    the first epoch) or as a scheduler's 'end should be larger than begin'."""
    with pytest.raises(ValueError, match=message) as err:
        load_config(DEMO_J, cfg_options=options)
    assert DEMO_J in str(err.value)


def test_stale_cosine_length_warns():
    with pytest.warns(UserWarning, match=r'T_max=16 but train_cfg\.max_epochs=8'):
        load_config(
            DEMO_J,
            cfg_options={
                'param_scheduler': [
                    dict(type='CosineAnnealingLR', T_max=16, eta_min=0, by_epoch=True, convert_to_iter_based=True)
                ]
            },
        )


def test_mmengine_runner_from_plain_config(tmp_path):
    """The mmengine way (plain Config.fromfile, mmengine's Runner.from_cfg) builds the modality, layout and
    classes the leaf names, and the cosine schedule spans the configured training."""
    from mmengine.runner import Runner

    cfg = Config.fromfile(os.path.join(CONFIG_DIR, 'stgcn++', 'stgcn++_demo_hrnet', 'bm.py'))
    cfg.work_dir = str(tmp_path / 'wd')
    runner = Runner.from_cfg(cfg)
    assert runner.model.cls_head.fc_cls.out_features == 10
    assert runner.model.backbone.graph.layout.name == 'coco'
    [feat] = [t for t in cfg.train_dataloader.dataset.dataset.pipeline if t.type == 'GenSkeFeat']
    assert (feat.feats, feat.dataset) == (['bm'], 'coco')
    assert runner.model.backbone.data_bn.num_features == 3 * 17


@pytest.mark.parametrize(
    'options, message',
    [
        ({'val_dataloader.dataset.split': 'xsub_train'}, r"val_dataloader reads split 'xsub_train' of .*which train"),
        ({'train_dataloader.dataset.dataset.split': 'xsub_val'}, r"reads split 'xsub_val' of .*an evaluation split"),
    ],
)
def test_training_on_the_validation_data_warns(options, message, tmp_path):
    """Validating on the training data (a copy-pasted split) makes the validation accuracy and the best checkpoint
    meaningless: said before training. Two different splits of one file and the config as given: no warning."""
    import warnings

    from pyskl.apis import setup_train_cfg

    with pytest.warns(UserWarning, match=message):
        setup_train_cfg(DEMO_J, work_dir=str(tmp_path), cfg_options=options)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        setup_train_cfg(DEMO_J, work_dir=str(tmp_path))
        if 'val_dataloader.dataset.split' in options:  # without validation nothing is measured on it
            setup_train_cfg(DEMO_J, work_dir=str(tmp_path), validate=False, cfg_options=options)

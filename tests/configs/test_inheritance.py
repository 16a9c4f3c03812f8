"""How the config zoo is put together: every leaf ends with ``resolve_leaf(globals())``; the MMAction2-named
leaves inherit the PYSKL-named leaf they equal (and resolve to exactly its config); the DG-STGCN data recipe is
joined to each NTU benchmark once, so the DG-STGCN / ProtoGCN leaves only list bases and resolve to PYSKL's
DG-STGCN recipe; ProtoGCN's 2D (FineGYM, Kinetics-400) leaves follow the original's per-modality settings.
Loading only (no data, no training) except one model build per 2D dataset."""

import ast
import json
import os
import re

import pytest
from mmengine.config import Config

from pyskl.core.config import load_config
from repo_paths import CONFIG_DIR, REPO

NTU = ['ntu60_xsub', 'ntu60_xview', 'ntu120_xsub', 'ntu120_xset']
MMA_MODALITY = {'joint': 'j', 'bone': 'b', 'joint-motion': 'jm', 'bone-motion': 'bm'}
DG_BASES = [
    '../../_base_/models/{model}.py',
    '../../_base_/datasets/{ds}_3dkp_dgstgcn.py',
    '../../_base_/schedules/sgd_cosine_150e.py',
    '../../_base_/default_runtime.py',
]
PROTOGCN_HEAD = {
    'j': (400, 0.2),
    'jm': (400, 0.2),
    'b': (100, 0.3),
    'bm': (100, 0.3),
    'k': (100, 0.1),
    'km': (100, 0.1),
}


def rel(path):
    return os.path.relpath(path, REPO)


def walk(skip_base=True):
    found = []
    for root, dirs, files in os.walk(CONFIG_DIR):
        dirs[:] = sorted(d for d in dirs if not (skip_base and d == '_base_'))
        found += [rel(os.path.join(root, f)) for f in sorted(files) if f.endswith('.py')]
    return sorted(found)


LEAVES = walk()
ALIASES = [p for p in LEAVES if p.startswith('configs/skeleton/')]


def statements(path):
    with open(os.path.join(REPO, path)) as f:
        return ast.parse(f.read()).body


def bases_of(path):
    [base] = [s for s in statements(path) if isinstance(s, ast.Assign) and s.targets[0].id == '_base_']
    return ast.literal_eval(base.value)


def assigned(path):
    """Top-level names the file assigns, `_base_` excluded."""
    return [t.id for s in statements(path) if isinstance(s, ast.Assign) for t in s.targets if t.id != '_base_']


def alias_target(path):
    """The PYSKL-named leaf an MMAction2-named leaf's name promises (from the name, not from its comment)."""
    m = re.fullmatch(
        r'configs/skeleton/(stgcnpp|stgcn)/\1_8xb16-([a-z-]+)-u100-80e_(ntu60|ntu120)-xsub-keypoint-'
        r'(2d|3d)\.py',
        path,
    )
    assert m, path
    model, modality, bench, dim = m.groups()
    ann = 'hrnet' if dim == '2d' else '3dkp'
    folder = f'stgcn/stgcn_pyskl_{bench}_xsub_{ann}' if model == 'stgcn' else f'stgcn++/stgcn++_{bench}_xsub_{ann}'
    return f'configs/{folder}/{MMA_MODALITY[modality]}.py'


def test_every_leaf_ends_with_resolve_leaf():
    assert len(LEAVES) >= 240
    for path in LEAVES:
        last = statements(path)[-1]
        assert isinstance(last, ast.Expr) and ast.unparse(last) == 'resolve_leaf(globals())', path


def test_aliases_are_the_mmaction2_grid():
    assert len(ALIASES) == 24
    assert len({alias_target(p) for p in ALIASES}) == 24


@pytest.mark.parametrize('path', ALIASES)
def test_alias_inherits_the_leaf_it_equals(path):
    """The alias lists the PYSKL leaf as its only base and sets nothing, so it cannot drift; the resolved
    configs are identical (no key differs: the zoo sets no work_dir), with pyskl's loader and plain mmengine."""
    target = alias_target(path)
    assert bases_of(path) == [os.path.relpath(target, os.path.dirname(path))]
    assert assigned(path) == []
    ours, theirs = load_config(os.path.join(REPO, path)).to_dict(), load_config(os.path.join(REPO, target)).to_dict()
    assert ours == theirs
    assert Config.fromfile(os.path.join(REPO, path)).to_dict() == theirs


def dg_pipeline(feats, kind):
    """PYSKL's DG-STGCN data recipe (what every DG-STGCN leaf and ProtoGCN's plain NTU leaves run)."""
    pipe = [dict(type='PreNormalize3D', align_spine=False)]
    if kind == 'train':
        pipe.append(dict(type='RandomRot', theta=0.2))
    sampler = dict(type='UniformSampleDecode', clip_len=100)
    if kind != 'train':
        sampler['num_clips'] = 1 if kind == 'val' else 10
    return pipe + [
        dict(type='GenSkeFeat', dataset='nturgb+d', feats=feats),
        sampler,
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ]


def test_dgstgcn_recipe_is_joined_once_per_benchmark():
    """Only the four ntu*_3dkp_dgstgcn.py data bases plug DG-STGCN's pipelines into dataloaders; no leaf does."""
    pluggers = []
    for path in walk(skip_base=False):
        with open(os.path.join(REPO, path)) as f:
            if '_base_.dgstgcn_pipelines' in f.read():
                pluggers.append(path)
    assert pluggers == [f'configs/_base_/datasets/{ds}_3dkp_dgstgcn.py' for ds in sorted(NTU)]


@pytest.mark.parametrize('ds', NTU)
@pytest.mark.parametrize('model', ['dgstgcn', 'protogcn'])
def test_dgstgcn_leaves_list_bases_only(ds, model):
    folder = f'configs/{model}/{ds}_3dkp'
    bases = [b.format(model=model, ds=ds) for b in DG_BASES]
    if model == 'protogcn' and ds == 'ntu120_xsub':  # the original's j / jm add Spatial_Flip here
        assert (
            bases_of(f'{folder}/j.py') == bases[:2] + ['../../_base_/datasets/skeleton_3d_protogcn_flip.py'] + bases[2:]
        )
        assert assigned(f'{folder}/j.py') == ['train_pipeline', 'train_dataloader']
    else:
        assert bases_of(f'{folder}/j.py') == bases and assigned(f'{folder}/j.py') == []
    if model == 'dgstgcn':  # ProtoGCN's other leaves vary per modality (tests/test_configs.py checks them)
        for feat in ('b', 'jm', 'bm'):
            assert bases_of(f'{folder}/{feat}.py') == ['./j.py'] and assigned(f'{folder}/{feat}.py') == ['feats']


@pytest.mark.parametrize('ds', NTU)
@pytest.mark.parametrize('feat', ['j', 'b', 'jm', 'bm'])
def test_dgstgcn_leaf_resolves_to_pyskl_recipe(ds, feat):
    """Each DG-STGCN leaf: the model of PYSKL's DG-STGCN configs for its benchmark and modality, its data recipe
    in every dataloader (and the top-level pipelines), one pass per epoch, 150 epochs."""
    cfg = load_config(os.path.join(CONFIG_DIR, 'dgstgcn', f'{ds}_3dkp', f'{feat}.py'))
    bench, split = ds.split('_')
    classes = int(bench[3:])
    assert cfg.feats == [feat] and cfg.layout == 'nturgb+d' and cfg.num_classes == classes
    assert cfg.model.to_dict() == dict(
        type='RecognizerGCN',
        backbone=dict(
            type='DGSTGCN',
            gcn_ratio=0.125,
            gcn_ctr='T',
            gcn_ada='T',
            in_channels=3,
            tcn_ms_cfg=[[3, 1], [3, 2], [3, 3], [3, 4], ['max', 3], '1x1'],
            graph_cfg=dict(layout='nturgb+d', mode='random', num_filter=8, init_off=0.04, init_std=0.02),
        ),
        cls_head=dict(type='GCNHead', in_channels=256, num_classes=classes),
    )
    ann = f'data/nturgbd/{bench}_3danno.pkl'
    train = cfg.train_dataloader.dataset
    assert train.type == 'RepeatDataset' and train.times == 1
    for kind, ds_cfg, part in (
        ('train', train.dataset, 'train'),
        ('val', cfg.val_dataloader.dataset, 'val'),
        ('test', cfg.test_dataloader.dataset, 'val'),
    ):
        assert (ds_cfg.ann_file, ds_cfg.split, ds_cfg.num_classes) == (ann, f'{split}_{part}', classes)
        assert ds_cfg.pipeline == dg_pipeline([feat], kind), kind
        assert cfg[f'{kind}_pipeline'] == dg_pipeline([feat], kind), kind
    assert cfg.train_cfg.max_epochs == 150 and cfg.auto_scale_lr.base_batch_size == 64


@pytest.mark.parametrize('ds', ['finegym_hrnet', 'k400_hrnet'])
@pytest.mark.parametrize('feat', ['j', 'b', 'jm', 'bm', 'k', 'km'])
def test_protogcn_2d_leaf(ds, feat):
    """ProtoGCN's FineGYM / Kinetics-400 leaves (the original's configs/finegym, configs/k400): per-modality
    prototypes and contrastive weight, 'coco_new' everywhere, PYSKL's data paths, the original's 2D pipeline (K400's
    after DecompressPose, with its defaults)."""
    cfg = load_config(os.path.join(CONFIG_DIR, 'protogcn', ds, f'{feat}.py'))
    gym = ds == 'finegym_hrnet'
    classes = 99 if gym else 400
    assert cfg.feats == [feat] and cfg.layout == 'coco_new' and cfg.num_classes == classes
    assert (cfg.model.backbone.num_prototype, cfg.model.cls_head.weight) == PROTOGCN_HEAD[feat]
    assert cfg.model.backbone.in_channels == 3 and cfg.model.backbone.graph_cfg.layout == 'coco_new'
    assert cfg.model.cls_head.joint_cfg == 'coco_new' and cfg.model.cls_head.num_classes == classes
    ann = 'data/gym/gym_hrnet.pkl' if gym else 'data/k400/k400_hrnet.pkl'
    train = cfg.train_dataloader.dataset
    assert train.type == 'RepeatDataset' and train.times == 1
    assert cfg.train_dataloader.batch_size == (16 if gym else 64)
    for ds_cfg, split in (
        (train.dataset, 'train'),
        (cfg.val_dataloader.dataset, 'val'),
        (cfg.test_dataloader.dataset, 'val'),
    ):
        assert (ds_cfg.ann_file, ds_cfg.split, ds_cfg.num_classes, ds_cfg.layout) == (ann, split, classes, 'coco_new')
        assert ds_cfg.get('box_thr') == (None if gym else 0.5)
        types = [t['type'] for t in ds_cfg.pipeline]
        flip = ['Flip'] if split == 'train' else []
        decompress = [] if gym else ['DecompressPose']  # K400's compressed instances (PYSKL's kpfiles)
        assert types == decompress + ['UniformSampleFrames', 'PoseDecode'] + flip + [
            'Kinetics_Transform',
            'GenSkeFeat',
            'FormatGCNInput',
            'PackSkeletonInputs',
        ]
        assert [t.feats for t in ds_cfg.pipeline if t['type'] == 'GenSkeFeat'] == [[feat]]
        if not gym:
            assert ds_cfg.pipeline[0] == dict(type='DecompressPose', squeeze=True, max_person=10)
    assert train.dataset.get('valid_ratio') == (None if gym else 0.0)
    assert cfg.optim_wrapper.optimizer.lr == 0.1 and cfg.auto_scale_lr.base_batch_size == 64
    assert cfg.train_cfg.max_epochs == 150


def test_protogcn_2d_parameter_counts(shared_dir):
    """The FineGYM joint model has the original's parameter count (its schema); Kinetics-400's differs only by
    the classifier's 400 - 99 = 301 extra classes (384 weights + 1 bias each)."""
    from pyskl.apis import init_recognizer

    with open(os.path.join(shared_dir, 'reference', 'schema', 'protogcn_finegym_hrnet.json')) as f:
        gym = json.load(f)['params_trainable']
    assert gym == 4284245
    counts = {}
    for ds in ('finegym_hrnet', 'k400_hrnet'):
        model = init_recognizer(os.path.join(CONFIG_DIR, 'protogcn', ds, 'j.py'), None, device='cpu')
        counts[ds] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert counts == {'finegym_hrnet': gym, 'k400_hrnet': gym + 301 * 385}

"""The config zoo: every config under ``configs/`` (except ``_base_``) loads through ``load_config``,
follows the anchors' recipe for the dataset and modality its path names, builds its model, runs its
train and test pipelines on a real annotation file of the right layout and dimensionality, and
predicts once. Plus: the model-zoo pages' linked paths and the full PYSKL grid exist, the 2D and
MMAction2 models match the released key schemas, ``tools/misc/print_config.py`` prints the
resolved config, docs/model_zoo.md reproduces the published tables and the guides' links resolve.

Cost: models are built once per distinct ``model`` dict (about 20 for ~170 configs) and run on
20-frame, 1-clip inputs, so the file takes about a minute on 2 cores.
"""

import copy
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from repo_paths import CONFIG_DIR, REPO

CLIP_LEN = 20  # frames per clip in these tests (the configs use 100)
T_DATA = 30  # frames of the synthetic samples


def leaf_configs():
    found = []
    for root, dirs, files in os.walk(CONFIG_DIR):
        dirs[:] = sorted(d for d in dirs if d != '_base_')
        found += [os.path.relpath(os.path.join(root, f), REPO) for f in sorted(files) if f.endswith('.py')]
    return sorted(found)


CONFIGS = leaf_configs()
DATASETS = ['ntu60_xsub', 'ntu60_xview', 'ntu120_xsub', 'ntu120_xset']
MODALITIES = ['j', 'b', 'jm', 'bm']
GRID_DIRS = {
    'stgcn': 'stgcn/stgcn_pyskl_{}',
    'stgcn++': 'stgcn++/stgcn++_{}',
    'aagcn': 'aagcn/aagcn_pyskl_{}',
    'msg3d': 'msg3d/msg3d_pyskl_{}',
    'dgstgcn': 'dgstgcn/{}',
    'ctrgcn': 'ctrgcn/ctrgcn_pyskl_{}',
}
MMA_MODALITY = {'joint': 'j', 'bone': 'b', 'joint-motion': 'jm', 'bone-motion': 'bm'}
BACKBONE_OF_DIR = {
    'stgcn': 'STGCN',
    'stgcn++': 'STGCN',
    'aagcn': 'AAGCN',
    'msg3d': 'MSG3D',
    'dgstgcn': 'DGSTGCN',
    'ctrgcn': 'CTRGCN',
    'protogcn': 'ProtoGCN',
}


def pyskl_grid():
    paths = []
    for model, pattern in GRID_DIRS.items():
        for ds in DATASETS:
            for ann in ('3dkp',) if model == 'dgstgcn' else ('3dkp', 'hrnet'):
                paths += [f'configs/{pattern.format(f"{ds}_{ann}")}/{m}.py' for m in MODALITIES]
    return paths


def expected_from_path(path):
    """What the path promises: (dataset, '3d' | '2d', modality, model dir); None for the demo."""
    m = re.match(
        r'configs/skeleton/(stgcnpp|stgcn)/\1_8xb16-([a-z-]+)-u100-80e_(ntu60|ntu120)-(xsub)-keypoint-'
        r'(2d|3d)\.py$',
        path,
    )
    if m:
        return dict(
            ds=f'{m.group(3)}_{m.group(4)}',
            dim=m.group(5),
            feats=[MMA_MODALITY[m.group(2)]],
            model={'stgcn': 'stgcn', 'stgcnpp': 'stgcn++'}[m.group(1)],
        )
    m = re.match(
        r'configs/([a-z+0-9]+)/(?:[a-z+0-9]+_(?:pyskl_)?)?(ntu60_xsub|ntu60_xview|ntu120_xsub|ntu120_xset)'
        r'_(3dkp|hrnet)/(j|b|jm|bm|k|km)\.py$',
        path,
    )
    if m:
        return dict(ds=m.group(2), dim='3d' if m.group(3) == '3dkp' else '2d', feats=[m.group(4)], model=m.group(1))
    return None


# ------------------------------------------------------------------------------------------------------
# synthetic annotation files (real pickles, read by PoseDataset)

SPLITS = [f'{p}_{s}' for p in ('xsub', 'xview', 'xset') for s in ('train', 'val')] + ['train', 'val']  # FineGYM's


@pytest.fixture(scope='module')
def ann_files(tmp_path_factory):
    """Two-sample NTU-format annotation files: 3D (M=2, T=30, 25 joints, from the synthetic NTU generator)
    and 2D HRNet-style (keypoint (M, T, 17, 2) float32 pixels + keypoint_score (M, T, 17),
    img_shape (1080, 1920)); every split name lists both samples."""
    from pyskl.core.io import dump_pickle
    from pyskl.datasets.synthetic import make_demo_data

    root = tmp_path_factory.mktemp('config_zoo')
    demo = make_demo_data(num_subjects=2, samples_per_class_per_subject=1, seed=0)
    anns3d = []
    for i, ann in enumerate(demo['annotations'][:2]):
        kp = np.ascontiguousarray(ann['keypoint'][:, :T_DATA])
        assert kp.shape[2:] == (25, 3)
        anns3d.append(dict(ann, label=i, keypoint=kp, total_frames=int(kp.shape[1])))
    rng = np.random.default_rng(0)
    anns2d = []
    for i in range(2):
        M = 2 - i  # one sample with two persons, one with a single person
        kp = rng.uniform([200, 100], [1700, 1000], size=(M, T_DATA, 17, 2)).astype(np.float32)
        score = rng.uniform(0.2, 1.0, size=(M, T_DATA, 17)).astype(np.float32)
        anns2d.append(
            dict(
                frame_dir=f'S001C001P001R001A{i + 1:03d}',
                label=i,
                total_frames=T_DATA,
                keypoint=kp,
                keypoint_score=score,
                img_shape=(1080, 1920),
                original_shape=(1080, 1920),
            )
        )
    files = {}
    for dim, anns in (('3d', anns3d), ('2d', anns2d)):
        names = [a['frame_dir'] for a in anns]
        files[dim] = str(root / f'ntu_{dim}.pkl')
        dump_pickle(dict(split={s: list(names) for s in SPLITS}, annotations=anns), files[dim])
    return files


# ------------------------------------------------------------------------------------------------------
# helpers


def short_pipeline(pipeline, test):
    """The config's pipeline with CLIP_LEN-frame clips (1 clip when testing); nothing else changed."""
    out = copy.deepcopy(list(pipeline))
    n = 0
    for t in out:
        if t['type'] in ('UniformSampleFrames', 'UniformSample', 'UniformSampleDecode'):
            t['clip_len'] = CLIP_LEN
            if test:
                t['num_clips'] = 1
            n += 1
    assert n == 1, f'expected one frame-sampling transform, got {n}: {pipeline}'
    return out


def with_ann_file(dataset_cfg, ann_file, test):
    """A copy of a dataloader's dataset config (PoseDataset, possibly inside RepeatDataset) reading
    ``ann_file`` with a shortened pipeline."""
    cfg = copy.deepcopy(dataset_cfg.to_dict() if hasattr(dataset_cfg, 'to_dict') else dataset_cfg)
    inner = cfg['dataset'] if cfg['type'] == 'RepeatDataset' else cfg
    inner['ann_file'] = ann_file
    inner['pipeline'] = short_pipeline(inner['pipeline'], test)
    return cfg


_MODELS = {}


def get_model(model_cfg):
    """Build (once per distinct model dict) the recognizer, in eval mode."""
    from pyskl.registry import MODELS
    import pyskl.models  # noqa: F401

    key = json.dumps(model_cfg, sort_keys=True)
    if key not in _MODELS:
        _MODELS[key] = MODELS.build(copy.deepcopy(model_cfg)).eval()
    return _MODELS[key]


def walk_dicts(obj):
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from walk_dicts(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from walk_dicts(v)


# ------------------------------------------------------------------------------------------------------
# existence


def test_config_walk_finds_the_zoo():
    assert len(CONFIGS) >= 160
    assert not any('/_base_/' in c for c in CONFIGS)


def test_linked_configs_exist(shared_dir):
    with open(os.path.join(shared_dir, 'seeds', 'linked_configs.txt')) as f:
        linked = [line.strip() for line in f if line.strip()]
    assert len(linked) == 104
    missing = [p for p in linked if not os.path.isfile(os.path.join(REPO, p))]
    assert not missing, f'{len(missing)} linked configs missing, e.g. {missing[:5]}'


def test_full_pyskl_grid_exists():
    grid = pyskl_grid()
    assert len(grid) == 4 * 4 * (5 * 2 + 1)
    missing = [p for p in grid if not os.path.isfile(os.path.join(REPO, p))]
    assert not missing, f'{len(missing)} grid configs missing, e.g. {missing[:5]}'
    # every config but the demo has a path the recipe checks below understand
    assert [c for c in CONFIGS if expected_from_path(c) is None] == [
        c
        for c in CONFIGS
        if '_demo_' in c or c.startswith(('configs/protogcn/finegym_hrnet/', 'configs/protogcn/k400_hrnet/'))
    ]


def test_modality_leaves_are_thin():
    """b / jm / bm leaves only change `feats`; j leaves only list bases (DG-STGCN adds its pipelines)."""
    for path in CONFIGS:
        with open(os.path.join(REPO, path)) as f:
            code = [line for line in f.read().splitlines() if line.strip() and not line.startswith('#')]
        limit = 4 if os.path.basename(path) in ('b.py', 'jm.py', 'bm.py', 'k.py', 'km.py') else 16
        if '/protogcn/' in path:  # ProtoGCN's b / bm / k / km also set the prototype count and the contrastive
            limit += 2  # weight, and some plug in the original's extra augmentation (Spatial_Flip / Part_Drop)
        if '_demo_' not in path:
            assert len(code) <= limit, f'{path}: {len(code)} lines of code'


# ------------------------------------------------------------------------------------------------------
# every config: recipe, pipelines, model, one forward pass


@pytest.mark.parametrize('path', CONFIGS)
def test_config(path, ann_files):
    from pyskl.registry import DATASETS
    from pyskl.core.config import load_config
    from mmengine.dataset import pseudo_collate

    cfg = load_config(os.path.join(REPO, path))
    exp = expected_from_path(path)
    layout = cfg.test_dataloader.dataset.layout
    num_classes = cfg.model.cls_head.num_classes
    from pyskl.core.layout import get_layout

    dim = '2d' if layout in ('coco', 'coco_new') else '3d'
    V = get_layout(layout).num_node  # 'coco_new' (ProtoGCN's FineGYM) extends the stored COCO-17 to 20 joints

    # the modality and the data decide in_channels; the model follows the dataset
    assert cfg.model.backbone.in_channels == cfg.get('kp_channels', 3) * len(cfg.feats)
    assert cfg.model.backbone.graph_cfg.layout == layout
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        ds = ds.dataset if ds.type == 'RepeatDataset' else ds
        assert ds.layout == layout and ds.num_classes == num_classes
        assert all(t.get('feats') == cfg.feats for t in ds.pipeline if t['type'] == 'GenSkeFeat'), loader
        assert all(t.get('dataset', layout) == layout for t in ds.pipeline if t['type'] == 'GenSkeFeat'), loader

    if exp is not None:  # the anchors' recipe for what the path names
        bench, split = exp['ds'].split('_')
        dg = exp['model'] in ('dgstgcn', 'protogcn')  # DG-STGCN's recipe (ProtoGCN keeps it)
        assert dim == exp['dim'] and cfg.feats == exp['feats']
        assert cfg.model.backbone.type == BACKBONE_OF_DIR[exp['model']]
        assert num_classes == int(bench[3:])
        ann = f'data/nturgbd/{bench}_{"hrnet" if dim == "2d" else "3danno"}.pkl'
        train = cfg.train_dataloader.dataset
        assert train.type == 'RepeatDataset' and train.times == (1 if dg else 5)
        assert (train.dataset.ann_file, train.dataset.split) == (ann, f'{split}_train')
        for loader in ('val_dataloader', 'test_dataloader'):
            assert (cfg[loader].dataset.ann_file, cfg[loader].dataset.split) == (ann, f'{split}_val')
        assert cfg.train_dataloader.batch_size == 16
        assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
        assert cfg.auto_scale_lr.base_batch_size == (64 if dg else 128)
        assert cfg.train_cfg.max_epochs == (150 if dg else 16)
        [sched] = cfg.param_scheduler  # its length is the training's (no T_max, no end)
        assert sched == dict(type='CosineToEndLR', eta_min=0, by_epoch=True, convert_to_iter_based=True)
        for loader, clips in (('train_dataloader', 1), ('val_dataloader', 1), ('test_dataloader', 10)):
            ds = cfg[loader].dataset
            pipe = (ds.dataset if ds.type == 'RepeatDataset' else ds).pipeline
            [sampler] = [t for t in pipe if t['type'].startswith('UniformSample')]
            assert sampler.clip_len == 100 and sampler.get('num_clips', 1) == clips
            assert [t.num_person for t in pipe if t['type'] == 'FormatGCNInput'] == [2]
            norm = pipe[0]
            assert norm.type == ('PreNormalize2D' if dim == '2d' else 'PreNormalize3D')
            if dg:
                assert norm.align_spine is False
            assert pipe[-1].type == 'PackSkeletonInputs'

    # the train pipeline runs on the synthetic data
    train_set = DATASETS.build(with_ann_file(cfg.train_dataloader.dataset, ann_files[dim], test=False))
    sample = train_set[0]
    assert sample['inputs'].shape == (1, 2, CLIP_LEN, V, cfg.model.backbone.in_channels)

    # the test pipeline and one forward pass
    test_set = DATASETS.build(with_ann_file(cfg.test_dataloader.dataset, ann_files[dim], test=True))
    assert len(test_set) == 2
    batch = pseudo_collate([test_set[0], test_set[1]])
    assert batch['inputs'][0].shape == (1, 2, CLIP_LEN, V, cfg.model.backbone.in_channels)
    model = get_model(cfg.model.to_dict())
    with torch.no_grad():
        preds = model.test_step(batch)
    assert [p['gt_label'] for p in preds] == [0, 1]
    for p in preds:
        assert p['pred_score'].shape == (num_classes,)
        assert torch.isfinite(p['pred_score']).all()
        torch.testing.assert_close(p['pred_score'].sum(), torch.tensor(1.0))


# ------------------------------------------------------------------------------------------------------
# released key schemas of the 2D and MMAction2 configs (the 3D PYSKL ones: tests/test_reference.py)

SCHEMAS = [
    'pyskl_stgcn_ntu60_xsub_hrnet',
    'pyskl_stgcnpp_ntu60_xsub_hrnet',
    'pyskl_aagcn_ntu60_xsub_hrnet',
    'pyskl_msg3d_ntu60_xsub_hrnet',
    'pyskl_ctrgcn_ntu60_xsub_hrnet',
    'mma_stgcn_ntu60_xsub_2d',
    'mma_stgcn_ntu60_xsub_3d',
    'mma_stgcnpp_ntu60_xsub_2d',
    'mma_stgcnpp_ntu60_xsub_3d',
]


@pytest.mark.parametrize('name', SCHEMAS)
def test_released_schema(name, shared_dir):
    from pyskl.core.config import load_config

    with open(os.path.join(shared_dir, 'reference', 'schema', f'{name}.json')) as f:
        schema = json.load(f)
    cfg = load_config(os.path.join(REPO, schema['config']))
    model = get_model(cfg.model.to_dict())
    params = dict(model.named_parameters())
    ours = []
    for key, value in model.state_dict().items():
        kind = 'param' if key in params else 'buffer'
        if schema['family'] == 'mmaction':
            key = key.replace('cls_head.fc_cls.', 'cls_head.fc.')
        ours.append(dict(key=key, shape=list(value.shape), dtype=str(value.dtype).replace('torch.', ''), kind=kind))
    assert ours == schema['entries']
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == schema['params_trainable']
    V = schema['num_joints']
    assert cfg.model.backbone.graph_cfg.layout == {17: 'coco', 25: 'nturgb+d'}[V]


# ------------------------------------------------------------------------------------------------------
# tools/misc/print_config.py


def test_protogcn_finegym_schema(shared_dir):
    """ProtoGCN's 2D FineGYM model (20-joint 'coco_new') has the original's state-dict entries (keys, shapes,
    dtypes, parameter / buffer; the order is free, and a class-memory buffer ending in `avg_f` may be added, as
    check_reference.py allows) and its trainable parameter count; the data pipeline feeds it 20 joints."""
    from pyskl.core.config import load_config

    with open(os.path.join(shared_dir, 'reference', 'schema', 'protogcn_finegym_hrnet.json')) as f:
        schema = json.load(f)
    assert schema['config'] == 'configs/finegym/j.py'  # the original's path; ours:
    cfg = load_config(os.path.join(REPO, 'configs/protogcn/finegym_hrnet/j.py'))
    assert cfg.layout == 'coco_new' and cfg.num_classes == 99 and schema['num_joints'] == 20
    assert cfg.model.backbone.graph_cfg.layout == 'coco_new' and cfg.model.cls_head.joint_cfg == 'coco_new'
    model = get_model(cfg.model.to_dict())
    params = dict(model.named_parameters())
    ours = {}
    for key, value in model.state_dict().items():
        if key.endswith('avg_f'):
            continue
        ours[key] = dict(
            key=key,
            shape=list(value.shape),
            dtype=str(value.dtype).replace('torch.', ''),
            kind='param' if key in params else 'buffer',
        )
    assert ours == {e['key']: e for e in schema['entries']}
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == schema['params_trainable']
    with torch.no_grad():
        logits = model(torch.randn(2, 2, 20, 20, 3), mode='tensor')
    assert logits.shape == (2, 99)


def test_print_config(tmp_path):
    config = 'configs/stgcn++/stgcn++_ntu120_xset_hrnet/bm.py'
    out_file = tmp_path / 'resolved.py'
    proc = subprocess.run(
        [
            sys.executable,
            'tools/misc/print_config.py',
            config,
            '--cfg-options',
            'feats=[j,b]',
            'train_dataloader.batch_size=8',
            '--out',
            str(out_file),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith(f'Config: {config}\n')
    assert "layout='coco'" in text and 'num_classes=120' in text and 'in_channels=6' in text
    assert "split='xset_train'" in text and "ann_file='data/nturgbd/ntu120_hrnet.pkl'" in text

    from pyskl.core.config import load_config

    saved = load_config(str(out_file))
    assert saved.feats == ['j', 'b'] and saved.model.backbone.in_channels == 6
    assert saved.train_dataloader.batch_size == 8
    assert saved.model.backbone.graph_cfg.layout == 'coco' and saved.model.cls_head.num_classes == 120


def test_print_config_bad_path():
    proc = subprocess.run(
        [sys.executable, 'tools/misc/print_config.py', 'configs/nope/j.py'],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and 'configs/nope/j.py' in proc.stderr


# ------------------------------------------------------------------------------------------------------
# load_config: the model follows the dataset's top-level `layout` / `num_classes` unless set explicitly


def test_model_follows_dataset_keys():
    from pyskl.core.config import load_config

    path = os.path.join(REPO, 'configs/aagcn/aagcn_pyskl_ntu120_xsub_hrnet/j.py')
    cfg = load_config(path)
    assert (cfg.layout, cfg.num_classes) == ('coco', 120)
    assert cfg.model.backbone.graph_cfg == dict(layout='coco', mode='spatial')
    assert cfg.model.cls_head.num_classes == 120
    # --cfg-options on the top-level keys move the model and every dataset along ...
    cfg = load_config(path, cfg_options={'num_classes': 7, 'layout': 'openpose'})
    assert cfg.model.cls_head.num_classes == 7 and cfg.model.backbone.graph_cfg.layout == 'openpose'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        ds = ds.dataset if ds.type == 'RepeatDataset' else ds
        assert (ds.num_classes, ds.layout) == (7, 'openpose'), loader
    # ... and an explicit model value that contradicts them is an error naming both keys
    with pytest.raises(ValueError, match=r'model\.cls_head\.num_classes=5 disagrees with num_classes=120'):
        load_config(path, cfg_options={'model.cls_head.num_classes': 5})
    with pytest.raises(ValueError, match=r"graph_cfg\.layout='nturgb\+d' disagrees with layout='coco'"):
        load_config(path, cfg_options={'model.backbone.graph_cfg.layout': 'nturgb+d'})


# ProtoGCN's per-leaf recipe (../shared/zoo/protogcn.md): extra augmentation per dataset and modality group
# (j / jm, b / bm, k / km), prototypes and contrastive weight per modality
PROTOGCN_EXTRA = {
    'ntu60_xsub': (None, 'Spatial_Flip', 'Spatial_Flip'),
    'ntu60_xview': (None, None, 'Part_Drop'),
    'ntu120_xsub': ('Spatial_Flip', 'Spatial_Flip', 'Part_Drop'),
    'ntu120_xset': (None, 'Spatial_Flip', 'Spatial_Flip'),
}
PROTOGCN_HEAD = {
    'j': (400, 0.2),
    'jm': (400, 0.2),
    'b': (100, 0.3),
    'bm': (100, 0.3),
    'k': (100, 0.1),
    'km': (100, 0.1),
}


@pytest.mark.parametrize('ds', DATASETS)
@pytest.mark.parametrize('feat', ['j', 'jm', 'b', 'bm', 'k', 'km'])
def test_protogcn_leaf_recipe(ds, feat):
    from pyskl.core.config import load_config

    cfg = load_config(os.path.join(REPO, f'configs/protogcn/{ds}_3dkp/{feat}.py'))
    assert cfg.feats == [feat]
    assert (cfg.model.backbone.num_prototype, cfg.model.cls_head.weight) == PROTOGCN_HEAD[feat]
    extra = PROTOGCN_EXTRA[ds][{'j': 0, 'b': 1, 'k': 2}[feat[0]]]
    types = [t['type'] for t in cfg.train_dataloader.dataset.dataset.pipeline]
    assert types == ['PreNormalize3D', 'RandomRot'] + ([extra] if extra else []) + [
        'GenSkeFeat',
        'UniformSampleDecode',
        'FormatGCNInput',
        'PackSkeletonInputs',
    ]
    for t in cfg.train_dataloader.dataset.dataset.pipeline:
        if t['type'] == 'Spatial_Flip':
            assert t.p == 0.5 and t.dataset == 'nturgb+d'
        if t['type'] == 'Part_Drop':
            assert t.p == 0.2
    for loader in ('val_dataloader', 'test_dataloader'):
        assert not {'Spatial_Flip', 'Part_Drop', 'RandomRot'} & {t['type'] for t in cfg[loader].dataset.pipeline}


def test_model_bases_leave_dataset_keys_out():
    """The layout and the class count live in the dataset bases only."""
    from mmengine.config import Config

    base_dir = os.path.join(CONFIG_DIR, '_base_', 'models')
    for name in sorted(os.listdir(base_dir)):
        model = Config.fromfile(os.path.join(base_dir, name)).model
        assert 'layout' not in model.backbone.graph_cfg and 'num_classes' not in model.cls_head, name


# ------------------------------------------------------------------------------------------------------
# docs: the model zoo reproduces the published tables; every relative link resolves

LINK = re.compile(r'\[([^\]]*)\]\(([^)\s]*)\)')
GUIDES = ['model_zoo.md', 'config.md', 'data_preparation.md', 'train_test.md', 'checkpoints.md']


def read_doc(name):
    with open(os.path.join(REPO, 'docs', name), encoding='utf-8') as f:
        return f.read()


def table_rows(text, prefix):
    return [
        [c.strip() for c in line.strip().strip('|').split('|')] for line in text.splitlines() if line.startswith(prefix)
    ]


@pytest.mark.parametrize('page', ['aagcn', 'msg3d', 'dg-stgcn'])
def test_model_zoo_pyskl_tables(page, shared_dir):
    with open(os.path.join(shared_dir, 'seeds', f'model_zoo_{page}.md'), encoding='utf-8') as f:
        rows = table_rows(f.read(), '| NTURGB')
    doc = read_doc('model_zoo.md')
    assert len(rows) in (4, 8)
    for cells in rows:
        ours = []
        for cell in cells[3:7]:
            (_, cfg), (top1, ckpt) = LINK.findall(cell)
            ours.append(f'[{top1}]({ckpt}) ([{os.path.basename(cfg)}](..{cfg}))')
        line = f'| {cells[0]} | {cells[1]} | ' + ' | '.join(ours) + f' | {cells[7]} | {cells[8]} |'
        assert line in doc, line


def test_model_zoo_ctrgcn_table(shared_dir):
    """docs/model_zoo.md reproduces PYSKL's published CTR-GCN table, each cell linking its checkpoint and config."""
    with open(os.path.join(shared_dir, 'zoo', 'ctrgcn.md'), encoding='utf-8') as f:
        rows = table_rows(f.read(), '| `configs/ctrgcn/')
    doc = read_doc('model_zoo.md')
    part = doc[doc.index('## CTR-GCN') :]
    assert len(rows) == 8
    for cells in rows:
        folder = cells[0].strip('`').rstrip('/')
        ours = [
            f'[{top1}](https://download.openmmlab.com/mmaction/pyskl/ckpt/ctrgcn/{os.path.basename(folder)}/'
            f'{m}.pth) ([{m}.py](../{folder}/{m}.py))'
            for m, top1 in zip(MODALITIES, cells[1:5])
        ]
        assert ' | '.join(ours) + f' | {cells[5]} | {cells[6]} |' in part, folder


@pytest.mark.parametrize('page', ['stgcn', 'stgcnpp'])
def test_model_zoo_mmaction_tables(page, shared_dir):
    with open(os.path.join(shared_dir, 'seeds', f'model_zoo_{page}.md'), encoding='utf-8') as f:
        sections = re.split(r'^### ', f.read(), flags=re.M)[1:]
    doc = read_doc('model_zoo.md')
    assert len(sections) == (4 if page == 'stgcn' else 2)
    for sec in sections:
        title = sec.split('\n', 1)[0].strip().replace('_', ' ')
        part = doc[doc.index(f'### {title}', doc.index('## ST-GCN++' if page == 'stgcnpp' else '## ST-GCN')) :]
        part = part[: part.index('\n\n', part.index('| :--'))]
        rows = [
            [c.strip() for c in line.strip().strip('|').split('|')] for line in sec.splitlines() if line.startswith('|')
        ][2:]
        for cells in rows:
            if cells[1] in ('two-stream', 'four-stream'):
                label = '2-stream (J:B = 1:1)' if cells[1] == 'two-stream' else '4-stream (J:B:JM:BM = 2:2:1:1)'
                assert f'| {label} | {cells[4]} |' in part
                continue
            cfg, ckpt = LINK.search(cells[8]).group(2), LINK.search(cells[9]).group(2)
            assert f'| {cells[1]} | [{cells[4]}]({ckpt}) | [{os.path.basename(cfg)}](..{cfg}) |' in part, cells[1]


@pytest.mark.parametrize('name', GUIDES)
def test_doc_links_resolve(name):
    text = read_doc(name)
    targets = [t for _, t in LINK.findall(text) if t and not t.startswith(('http://', 'https://', '#'))]
    assert targets
    missing = [t for t in targets if not os.path.exists(os.path.join(REPO, 'docs', t.split('#')[0]))]
    assert not missing, f'{name}: broken links {missing}'

import json
import os

import pytest
import torch

import pyskl.models  # noqa: F401
from pyskl.registry import MODELS

STGCN = dict(type='STGCN', graph_cfg=dict(layout='nturgb+d', mode='stgcn_spatial'))
STGCNPP = dict(
    type='STGCN',
    gcn_adaptive='init',
    gcn_with_res=True,
    tcn_type='mstcn',
    graph_cfg=dict(layout='nturgb+d', mode='spatial'),
)


def recognizer(backbone, num_classes=60, layout=None):
    backbone = dict(backbone, graph_cfg=dict(backbone['graph_cfg'], layout=layout or 'nturgb+d'))
    return MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=backbone,
            cls_head=dict(type='GCNHead', num_classes=num_classes, in_channels=256),
        )
    )


@pytest.mark.parametrize('backbone', [STGCN, STGCNPP], ids=['stgcn', 'stgcn++'])
@pytest.mark.parametrize('layout,V', [('nturgb+d', 25), ('coco', 17)])
@pytest.mark.parametrize('M', [1, 2])
def test_backbone_shapes(backbone, layout, V, M):
    model = recognizer(backbone, layout=layout).eval()
    x = torch.randn(2, M, 20, V, 3)
    feat = model.backbone(x)
    assert feat.shape == (2, M, 256, 5, V)
    assert model(x).shape == (2, 60)


def schema_keys(shared_dir, name):
    with open(os.path.join(shared_dir, 'reference', 'schema', f'{name}.json')) as f:
        schema = json.load(f)
    return schema, [(e['key'], tuple(e['shape'])) for e in schema['entries']]


@pytest.mark.parametrize(
    'name,backbone,layout',
    [
        ('pyskl_stgcn_ntu60_xsub_hrnet', STGCN, 'coco'),
        ('pyskl_stgcnpp_ntu60_xsub_hrnet', STGCNPP, 'coco'),
        ('mma_stgcn_ntu60_xsub_2d', STGCN, 'coco'),
        ('mma_stgcnpp_ntu60_xsub_3d', STGCNPP, 'nturgb+d'),
    ],
)
def test_keys_match_released_schemas(shared_dir, name, backbone, layout):
    schema, keys = schema_keys(shared_dir, name)
    model = recognizer(backbone, layout=layout)
    ours = [
        (k.replace('cls_head.fc_cls.', 'cls_head.fc.') if name.startswith('mma') else k, tuple(v.shape))
        for k, v in model.state_dict().items()
    ]
    assert ours == keys
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert params == schema['params_trainable']


def test_per_stage_options_and_errors():
    bb = MODELS.build(
        dict(STGCNPP, num_stages=4, inflate_stages=(3,), down_stages=(3,), tcn_dropout=(0.0, 0.1, 0.2, 0.3))
    )
    assert len(bb.gcn) == 4 and bb.out_channels == 128
    assert bb.gcn[3].tcn.drop.p == 0.3
    with pytest.raises(ValueError, match='tcn_dropout: a tuple gives one value per stage, so it needs 4'):
        MODELS.build(dict(STGCNPP, num_stages=4, inflate_stages=(3,), down_stages=(3,), tcn_dropout=(0.1, 0.2)))
    # a branch spec given as a tuple is shared by all stages, not split per stage
    shared = MODELS.build(
        dict(STGCNPP, num_stages=2, inflate_stages=(), down_stages=(), tcn_ms_cfg=((3, 1), ('max', 3)))
    )
    assert all(len(block.tcn.branches) == 2 for block in shared.gcn)
    with pytest.raises(ValueError, match='tcn_type must be'):
        MODELS.build(dict(STGCN, tcn_type='lstm'))
    with pytest.raises(ValueError, match='adaptive'):
        MODELS.build(dict(STGCN, gcn_adaptive='learned'))


def test_recognizer_modes_and_clip_averaging():
    torch.manual_seed(0)
    model = recognizer(STGCNPP, num_classes=5).eval()
    x = torch.randn(3, 4, 2, 12, 25, 3)  # N, clips, M, T, V, C
    samples = [dict(gt_label=i, sample_idx=i, frame_dir=f's{i}') for i in range(3)]
    logits = model(x)
    assert logits.shape == (12, 5)
    preds = model(x, samples, mode='predict')
    assert [p['sample_idx'] for p in preds] == [0, 1, 2]
    expected = torch.softmax(logits.view(3, 4, 5), -1).mean(1)
    torch.testing.assert_close(torch.stack([p['pred_score'] for p in preds]), expected)
    model.cls_head.average_clips = 'score'
    preds = model(x, samples, mode='predict')
    torch.testing.assert_close(torch.stack([p['pred_score'] for p in preds]), logits.view(3, 4, 5).mean(1))
    model.train()
    losses = model(x[:, :1], samples, mode='loss')
    assert set(losses) == {'loss_cls', 'top1_acc'} and losses['loss_cls'].requires_grad


def test_data_preprocessor_stacks_and_rejects_ragged():
    pre = MODELS.build(dict(type='SkeletonDataPreprocessor'))
    from mmengine.dataset import pseudo_collate

    batch = pseudo_collate(
        [
            dict(
                inputs=torch.full((1, 2, 8, 25, 3), float(i)),
                data_samples=dict(gt_label=i, sample_idx=i, frame_dir=f's{i}'),
            )
            for i in range(2)
        ]
    )
    out = pre(batch)
    assert out['inputs'].shape == (2, 1, 2, 8, 25, 3) and out['inputs'][1].eq(1).all()
    assert out['data_samples'] == [
        dict(gt_label=0, sample_idx=0, frame_dir='s0'),
        dict(gt_label=1, sample_idx=1, frame_dir='s1'),
    ]
    with pytest.raises(ValueError, match='different shapes'):
        pre(dict(inputs=[torch.zeros(1, 2, 8, 25, 3), torch.zeros(1, 2, 9, 25, 3)]))

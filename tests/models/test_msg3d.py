import json
import os

import pytest
import torch
import torch.nn as nn

import pyskl.models  # noqa: F401
from pyskl.models.gcns import mstcn
from pyskl.models.gcns.msg3d import multiscale_adjacency, unfold_windows, window_adjacency
from pyskl.models.utils.graph import Graph
from pyskl.registry import MODELS

CONFIG = 'configs/msg3d/msg3d_pyskl_ntu60_xsub_3dkp/j.py'
FIXTURE = 'pyskl_msg3d_ntu60_xsub_3dkp'


def msg3d(layout='nturgb+d', num_classes=60, **kwargs):
    backbone = dict(type='MSG3D', graph_cfg=dict(layout=layout, mode='binary_adj'), **kwargs)
    in_channels = 4 * kwargs.get('base_channels', 96)
    return MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=backbone,
            cls_head=dict(type='GCNHead', num_classes=num_classes, in_channels=in_channels),
        )
    )


@pytest.mark.parametrize('layout,V', [('nturgb+d', 25), ('coco', 17)])
@pytest.mark.parametrize('M', [1, 2])
def test_output_shapes(layout, V, M):
    model = msg3d(layout, num_person=M).eval()
    x = torch.randn(2, M, 18, V, 3)
    with torch.no_grad():
        feat = model.backbone(x)
        assert feat.shape == (2, M, 384, 5, V)  # T: 18 -> 18 -> 9 -> 5
        assert model(x).shape == (2, 60)


def test_mvc_data_bn_rejects_other_person_count():
    model = msg3d(num_person=2, base_channels=12)
    with pytest.raises(ValueError, match='built for 2 persons, input has M=1'):
        model.backbone(torch.randn(1, 1, 8, 25, 3))


def test_needs_binary_graph():
    with pytest.raises(ValueError, match="mode='binary_adj'"):
        MODELS.build(dict(type='MSG3D', graph_cfg=dict(layout='coco', mode='spatial')))


@pytest.mark.parametrize('name,layout', [(FIXTURE, 'nturgb+d'), ('pyskl_msg3d_ntu60_xsub_hrnet', 'coco')])
def test_keys_match_released_schemas(shared_dir, name, layout):
    with open(os.path.join(shared_dir, 'reference', 'schema', f'{name}.json')) as f:
        schema = json.load(f)
    model = msg3d(layout)  # 2D: x, y, score -> in_channels 3, like the 3D model
    ours = [(k, list(v.shape), str(v.dtype).replace('torch.', '')) for k, v in model.state_dict().items()]
    assert ours == [(e['key'], e['shape'], e['dtype']) for e in schema['entries']]
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == schema['params_trainable']


def test_multiscale_adjacency_scales():
    A = Graph('nturgb+d', 'binary_adj').A[0]
    powers = multiscale_adjacency(A, 13)
    assert powers.shape == (13, 25, 25)
    assert (powers[0] == torch.eye(25).numpy()).all()
    # every column of every scale is normalised; scale 1 links neighbours (and self) only
    assert abs(powers.sum(1) - 1).max() < 1e-9
    assert ((powers[1] > 0) == ((A + torch.eye(25).numpy()) > 0)).all()
    big = window_adjacency(A, 3)
    assert big.shape == (75, 75) and (big[:25, 50:] == big[:25, :25]).all() and big[0, 50] == 1


@pytest.mark.parametrize('w,stride,dilation', [(3, 1, 1), (5, 2, 1), (3, 1, 2)])
def test_unfold_windows_matches_explicit_windows(w, stride, dilation):
    x = torch.randn(2, 3, 11, 4)
    out = unfold_windows(x, w, stride, dilation)
    pad = ((w - 1) * dilation) // 2
    xp = nn.functional.pad(x, (0, 0, pad, pad))
    T = (11 + 2 * pad - (w - 1) * dilation - 1) // stride + 1
    expected = torch.stack(
        [torch.cat([xp[:, :, t * stride + j * dilation] for j in range(w)], dim=-1) for t in range(T)], dim=2
    )
    assert torch.equal(out, expected)


def test_mstcn_msg3d_variant():
    unit = mstcn(12, 20, stride=2, fuse=False, branch_norm=True, remainder='last', residual=True, act='ReLU')
    keys = set(unit.state_dict())
    assert 'branches.4.4.weight' in keys and 'branches.5.1.weight' in keys and 'residual.conv.weight' in keys
    assert not any(k.startswith(('transform.', 'bn.')) for k in keys)
    # 20 // 6 = 3 channels per branch, the last takes the remaining 5
    assert [b[0].out_channels for b in unit.branches] == [3, 3, 3, 3, 3, 5]
    out = unit(torch.randn(2, 12, 9, 5))
    assert out.shape == (2, 20, 5, 5) and out.min() >= 0
    with pytest.raises(ValueError, match='summing to out_channels'):
        mstcn(12, 20, mid_channels=0.25, fuse=False)
    with pytest.raises(ValueError, match='remainder'):
        mstcn(12, 20, remainder='middle')

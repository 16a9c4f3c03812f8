"""AAGCN / AGCN: shapes, released key schemas, the unit, graph variants (trainability: test_backbones.py)."""

import json
import os

import pytest
import torch

import pyskl.models  # noqa: F401
from pyskl.models.gcns import unit_aagcn
from pyskl.registry import MODELS

CONFIG = 'configs/aagcn/aagcn_pyskl_ntu60_xsub_3dkp/j.py'
FIXTURE = 'pyskl_aagcn_ntu60_xsub_3dkp'


def recognizer(layout='nturgb+d', num_classes=60, **backbone):
    backbone = dict(dict(type='AAGCN', graph_cfg=dict(layout=layout, mode='spatial')), **backbone)
    return MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=backbone,
            cls_head=dict(type='GCNHead', num_classes=num_classes, in_channels=256),
        )
    )


def load_schema(shared_dir, name):
    with open(os.path.join(shared_dir, 'reference', 'schema', f'{name}.json')) as f:
        return json.load(f)


@pytest.mark.parametrize('layout,V', [('nturgb+d', 25), ('coco', 17)])
@pytest.mark.parametrize('M', [1, 2])
def test_output_shapes(layout, V, M):
    model = recognizer(layout, num_person=M).eval()
    x = torch.randn(2, M, 16, V, 3)
    with torch.no_grad():
        feat = model.backbone(x)
        assert feat.shape == (2, M, 256, 4, V)
        assert model(x).shape == (2, 60)


def test_mvc_data_bn_needs_num_person():
    model = recognizer().eval()  # num_person=2
    with pytest.raises(ValueError, match='M=1'):
        model.backbone(torch.randn(1, 1, 8, 25, 3))
    vc = recognizer(data_bn_type='VC').eval()
    assert vc.backbone.data_bn.num_features == 75
    assert vc.backbone(torch.randn(1, 1, 8, 25, 3)).shape == (1, 1, 256, 2, 25)


@pytest.mark.parametrize('name,layout', [(FIXTURE, 'nturgb+d'), ('pyskl_aagcn_ntu60_xsub_hrnet', 'coco')])
def test_keys_match_released_schemas(shared_dir, name, layout):
    """The 3D and the HRNet 2D (coco, x/y/score) models: keys, order, shapes, dtypes and parameter count."""
    schema = load_schema(shared_dir, name)
    model = recognizer(layout)
    ours = [(k, list(v.shape), str(v.dtype).replace('torch.', '')) for k, v in model.state_dict().items()]
    assert ours == [(e['key'], e['shape'], e['dtype']) for e in schema['entries']]
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == schema['params_trainable']
    kinds = {e['key']: e['kind'] for e in schema['entries']}
    params = {f'{k}' for k, _ in model.named_parameters()}
    assert params == {k for k, kind in kinds.items() if kind == 'param'}


def test_agcn_and_fixed_graph_variants():
    agcn = recognizer(gcn_attention=False).backbone
    keys = agcn.state_dict().keys()
    assert 'gcn.0.gcn.alpha' in keys and not any('conv_ta' in k or 'fc1c' in k for k in keys)
    fixed = recognizer(gcn_adaptive=False, gcn_attention=(True,) * 5 + (False,) * 5).backbone
    unit = fixed.gcn[0].gcn
    assert 'A' in dict(unit.named_buffers()) and 'A' not in dict(unit.named_parameters())
    assert not hasattr(unit, 'conv_a') and not hasattr(unit, 'alpha')
    assert fixed.gcn[4].gcn.attention and not fixed.gcn[5].gcn.attention  # gcn[i] is stage i + 1
    for bb in (agcn, fixed):
        assert bb.eval()(torch.randn(1, 2, 8, 25, 3)).shape == (1, 2, 256, 2, 25)


def test_unit_aagcn_computation():
    """The data-dependent graph: with alpha != 0 the output depends on theta/phi, as in the formula."""
    A = torch.rand(3, 5, 5)
    unit = unit_aagcn(4, 8, A, attention=False).eval()
    torch.nn.init.constant_(unit.alpha, 0.5)
    x = torch.randn(2, 4, 6, 5)
    expected = 0
    for k in range(3):
        theta = unit.conv_a[k](x)  # (N, Ce, T, V)
        phi = unit.conv_b[k](x)
        adj = A[k] + 0.5 * torch.tanh(torch.einsum('nctv,nctw->nvw', theta, phi) / (2 * 6))
        expected = expected + unit.conv_d[k](torch.einsum('nctv,nvw->nctw', x, adj))
    expected = torch.relu(unit.bn(expected) + unit.down(x))
    torch.testing.assert_close(unit(x), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='K, V, V'):
        unit_aagcn(4, 8, torch.rand(5, 5))

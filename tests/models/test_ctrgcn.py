"""CTR-GCN: shapes, the unit's formula, PYSKL's block layout, trainability (the released key schemas and
reference logits: tests/test_configs.py, tests/test_reference.py)."""

import pytest
import torch

import pyskl.models  # noqa: F401
from pyskl.models.gcns import unit_ctrgcn
from pyskl.registry import MODELS


def recognizer(layout='nturgb+d', num_classes=60, base_channels=64, **backbone):
    backbone = dict(
        type='CTRGCN', graph_cfg=dict(layout=layout, mode='spatial'), base_channels=base_channels, **backbone
    )
    return MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=backbone,
            cls_head=dict(type='GCNHead', num_classes=num_classes, in_channels=4 * base_channels),
        )
    )


@pytest.mark.parametrize('layout,V', [('nturgb+d', 25), ('coco', 17)])
@pytest.mark.parametrize('M', [1, 2])
def test_output_shapes(layout, V, M):
    model = recognizer(layout, num_person=M, base_channels=16).eval()
    x = torch.randn(2, M, 16, V, 3)
    with torch.no_grad():
        assert model.backbone(x).shape == (2, M, 64, 4, V)
        assert model(x).shape == (2, 60)
    with pytest.raises(ValueError, match=f'M={3 - M}'):
        model.backbone(torch.randn(2, 3 - M, 16, V, 3))


def test_block_layout():
    """PYSKL's schedule: the first block always exists (even when in_channels == base_channels) and has no
    residual; strided 1x1 residuals where the shape changes; 4-branch temporal units (kernel 5, dilations 1, 2)."""
    bb = MODELS.build(
        dict(
            type='CTRGCN',
            graph_cfg=dict(layout='nturgb+d', mode='spatial'),
            in_channels=8,
            base_channels=8,
            tcn_dropout=0.5,
        )
    )
    assert len(bb.net) == 10
    assert [blk.residual_mode for blk in bb.net] == [
        'none',
        'identity',
        'identity',
        'identity',
        'conv',
        'identity',
        'identity',
        'conv',
        'identity',
        'identity',
    ]
    tcn = bb.net[1].tcn1
    assert [b[3].conv.dilation[0] for b in tcn.branches[:2]] == [1, 2]
    assert tcn.branches[0][3].conv.kernel_size == (5, 1)
    assert bb.net[0].tcn1.drop.p == 0 and tcn.drop.p == 0.5
    assert not hasattr(bb.net[1].gcn1, 'down') and hasattr(bb.net[4].gcn1, 'down')


def test_unit_ctrgcn_computation():
    """With alpha != 0 each subset's topology is refined per channel: A_k + alpha * conv4(tanh(x1 - x2))."""
    A = torch.rand(3, 5, 5)
    unit = unit_ctrgcn(4, 8, A).eval()
    torch.nn.init.constant_(unit.alpha, 0.5)
    torch.nn.init.constant_(unit.bn.weight, 1.0)
    x = torch.randn(2, 4, 6, 5)
    y = 0
    for k, c in enumerate(unit.convs):
        x1, x2 = c.conv1(x).mean(2), c.conv2(x).mean(2)  # (N, R, V)
        topo = c.conv4(torch.tanh(x1[..., :, None] - x2[..., None, :])) * 0.5 + A[k]  # (N, C, V, V)
        y = y + torch.einsum('ncvw,nctv->nctw', topo, c.conv3(x))
    expected = torch.relu(unit.bn(y) + unit.down(x))
    torch.testing.assert_close(unit(x), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='K, V, V'):
        unit_ctrgcn(4, 8, torch.rand(5, 5))

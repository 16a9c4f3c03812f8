import json
import os

import pytest
import torch

import pyskl.models  # noqa: F401
from pyskl.models.gcns import dggcn, dgmstcn, mstcn
from pyskl.registry import MODELS

NAME = 'pyskl_dgstgcn_ntu60_xsub_3dkp'
CONFIG = 'configs/dgstgcn/ntu60_xsub_3dkp/j.py'
DGSTGCN = dict(
    type='DGSTGCN',
    gcn_ratio=0.125,
    gcn_ctr='T',
    gcn_ada='T',
    tcn_ms_cfg=[(3, 1), (3, 2), (3, 3), (3, 4), ('max', 3), '1x1'],
    graph_cfg=dict(layout='nturgb+d', mode='random', num_filter=8, init_off=0.04, init_std=0.02),
)


def recognizer(layout='nturgb+d', num_classes=60, base_channels=64, **kwargs):
    backbone = dict(DGSTGCN, base_channels=base_channels, graph_cfg=dict(DGSTGCN['graph_cfg'], layout=layout), **kwargs)
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
    model = recognizer(layout).eval()
    x = torch.randn(2, M, 20, V, 3)
    with torch.no_grad():
        feat = model.backbone(x)
        assert feat.shape == (2, M, 256, 5, V)
        assert model(x).shape == (2, 60)
    # one fusion coefficient per joint of the layout
    assert model.backbone.gcn[0].tcn.add_coeff.shape == (V,)


def test_mvc_data_bn_for_one_person():
    bb = MODELS.build(dict(DGSTGCN, data_bn_type='MVC', num_person=1, num_stages=2, inflate_stages=(), down_stages=()))
    assert bb.data_bn.num_features == 75
    assert bb(torch.randn(2, 1, 8, 25, 3)).shape == (2, 1, 64, 8, 25)
    with pytest.raises(ValueError, match='M=2'):
        bb(torch.randn(2, 2, 8, 25, 3))


def test_keys_shapes_dtypes_and_params_match_schema(shared_dir, repo_root):
    from pyskl.apis import init_recognizer

    with open(os.path.join(shared_dir, 'reference', 'schema', f'{NAME}.json')) as f:
        schema = json.load(f)
    assert schema['config'] == CONFIG
    model = init_recognizer(os.path.join(repo_root, CONFIG))
    ours = [(k, list(v.shape), str(v.dtype).replace('torch.', '')) for k, v in model.state_dict().items()]
    assert ours == [(e['key'], e['shape'], e['dtype']) for e in schema['entries']]
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == schema['params_trainable']
    # buffers and parameters are where the released weights have them
    params = dict(model.named_parameters())
    assert all((e['key'] in params) == (e['kind'] == 'param') for e in schema['entries'])


def test_random_graph_follows_torch_seed():
    torch.manual_seed(3)
    a = MODELS.build(dict(DGSTGCN, num_stages=2)).gcn[0].gcn.A.detach().clone()
    torch.manual_seed(3)
    bb = MODELS.build(dict(DGSTGCN, num_stages=2))
    assert torch.equal(a, bb.gcn[0].gcn.A)
    assert a.shape == (8, 25, 25) and abs(a.mean().item() - 0.04) < 0.01
    # every block learns its own copy of the affinity
    assert bb.gcn[0].gcn.A.data_ptr() != bb.gcn[1].gcn.A.data_ptr()


def _randomise_dynamic_terms(model):
    """alpha / beta / add_coeff start at 0, which zeroes the gradient of what they scale; move them off 0."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.split('.')[-1] in ('alpha', 'beta', 'add_coeff'):
                p.uniform_(0.1, 0.5)


@pytest.mark.parametrize(
    'options',
    [
        dict(),
        dict(gcn_ctr='NA', gcn_subset_wise=True, gcn_ada_act='sigmoid', gcn_ctr_act='relu'),
        dict(gcn_ctr=None, gcn_ada='NA', gcn_ada_act='tanh'),
        dict(gcn_ctr=None, gcn_ada=None, tcn_dropout=0.2),
    ],
    ids=['default', 'ctr-NA-subset-wise', 'ada-only-NA', 'static'],
)
def test_every_parameter_gets_a_gradient(options):
    torch.manual_seed(0)
    model = recognizer(num_classes=4, base_channels=16, num_stages=4, inflate_stages=(3,), down_stages=(3,), **options)
    model.cls_head = MODELS.build(dict(type='GCNHead', num_classes=4, in_channels=32))
    model.train()
    x = torch.randn(4, 1, 2, 12, 25, 3)
    samples = [dict(gt_label=i) for i in range(4)]
    model(x, samples, mode='loss')['loss_cls'].backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.zero_grad(set_to_none=True)
    _randomise_dynamic_terms(model)
    model(x, samples, mode='loss')['loss_cls'].backward()
    dead = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not dead


def test_dgmstcn_is_mstcn_plus_skeleton_fusion():
    torch.manual_seed(0)
    ms = mstcn(8, 12, stride=2).eval()
    dg = dgmstcn(8, 12, num_joints=7, stride=2).eval()
    missing, unexpected = dg.load_state_dict(ms.state_dict(), strict=False)
    assert missing == ['add_coeff'] and unexpected == []
    x = torch.randn(2, 8, 10, 5)
    with torch.no_grad():
        torch.testing.assert_close(dg(x), ms(x))  # add_coeff = 0: no skeleton-level term
        dg.add_coeff.copy_(torch.arange(7.0))
        # the skeleton-level feature of joint v is the mstcn branches applied to the joint mean
        branches = torch.cat([b(x.mean(-1, keepdim=True)) for b in ms.branches], 1)
        local = torch.cat([b(x) for b in ms.branches], 1)
        expected = ms.bn(ms.transform(local + branches * torch.arange(5.0)))
        torch.testing.assert_close(dg(x), expected)
    with pytest.raises(ValueError, match='V=9'):
        dg(torch.randn(1, 8, 4, 9))


def test_dggcn_without_dynamic_terms_is_a_grouped_graph_conv():
    torch.manual_seed(0)
    A = torch.rand(4, 6, 6)
    g = dggcn(5, 8, A, ratio=0.5).eval()  # mid = 4 channels per group
    assert g.pre[0].out_channels == 16 and g.alpha.shape == (4,) and hasattr(g, 'down')
    x = torch.randn(2, 5, 3, 6)
    with torch.no_grad():
        feat = g.pre(x).view(2, 4, 4, 3, 6)
        static = g.post(torch.einsum('nkctv,kvw->nkctw', feat, A).reshape(2, 16, 3, 6))
        expected = g.act(g.bn(static) + g.down(x))
        torch.testing.assert_close(g(x), expected)  # alpha = beta = 0
        g.beta.fill_(1.0)
        assert not torch.allclose(g(x), expected)
    with pytest.raises(ValueError, match='ctr must be'):
        dggcn(5, 8, A, ctr='C')
    with pytest.raises(ValueError, match='ada_act'):
        dggcn(5, 8, A, ada_act='gelu')
    with pytest.raises(ValueError, match='no channel'):
        dggcn(5, 8, A, ratio=0.1)


@pytest.mark.parametrize(
    'equation, a_shape',
    [
        ('nkctv,nkctvw->nkctw', (2, 3, 4, 5, 6, 6)),
        ('nkctv,nkcvw->nkctw', (1, 3, 4, 6, 6)),  # the static graph alone broadcasts over samples
        ('nkctv,nktvw->nkctw', (2, 3, 5, 6, 6)),
        ('nkctv,nkvw->nkctw', (2, 3, 6, 6)),
    ],
)
def test_aggregation_saves_the_features_themselves(equation, a_shape):
    """dggcn's aggregation is einsum's (values and float64 gradients, broadcast graph included), and what it keeps
    for the backward pass is the feature tensor itself, not the plain-layout copy einsum would keep for a
    channels-last input (one feature-sized tensor per unit until the backward pass)."""
    from pyskl.models.gcns.dgstgcn import _aggregate

    gen = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 3 * 4, 5, 6, dtype=torch.float64, generator=gen).contiguous(memory_format=torch.channels_last)
    feat = feat.view(2, 3, 4, 5, 6).requires_grad_()
    A = torch.randn(a_shape, dtype=torch.float64, generator=gen).requires_grad_()
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        y = _aggregate(equation, feat, A)
    # exactly the two inputs, as they are (no copy)
    assert sorted((t.data_ptr(), t.stride()) for t in saved) == sorted((t.data_ptr(), t.stride()) for t in (feat, A))
    ref = torch.einsum(equation, feat, A)
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)
    g = torch.randn(y.shape, dtype=torch.float64, generator=gen)
    got = torch.autograd.grad(y, (feat, A), g)
    want = torch.autograd.grad(ref, (feat, A), g)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert torch.autograd.gradcheck(lambda f, a: _aggregate(equation, f, a), (feat, A))


def test_aggregation_under_bf16_autocast_matches_einsum():
    """Under CPU bfloat16 autocast (``--amp``) the forward einsum runs in bfloat16; the backward pass does too and
    hands back gradients in the inputs' dtype, as einsum's own backward would."""
    from pyskl.models.gcns.dgstgcn import _aggregate

    gen = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 3, 4, 5, 6, generator=gen).requires_grad_()
    A = torch.randn(2, 3, 4, 6, 6, generator=gen).requires_grad_()
    outs = []
    for fn in (_aggregate, torch.einsum):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            y = fn('nkctv,nkcvw->nkctw', feat, A)
        assert y.dtype == torch.bfloat16
        outs.append((y, *torch.autograd.grad(y.float().sum(), (feat, A))))
    for a, b in zip(*outs):
        assert a.dtype == b.dtype
        torch.testing.assert_close(a, b)

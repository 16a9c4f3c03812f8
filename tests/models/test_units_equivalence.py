"""The speed-rewritten units equal their straightforward formulation (outputs, gradients, BN statistics),
in train and eval mode, for channels-last and contiguous inputs."""
import copy

import pytest
import torch
import torch.nn as nn

from pyskl.models.backbones.utils import build_data_bn
from pyskl.models.gcns import dgmstcn, mstcn, unit_gcn
from pyskl.models.gcns.gcn import aggregate_subsets
from pyskl.models.gcns.utils import batch_norm_concat
from pyskl.models.utils.graph import Graph

RTOL, ATOL = 1e-5, 1e-6


def close(a, b, scale=None):
    """Equal within RTOL relative, ATOL relative to ``scale`` (default the largest entry of ``b``, at least 1)."""
    scale = max(float(b.abs().max()), 1.) if scale is None else scale
    torch.testing.assert_close(a, b, rtol=RTOL, atol=ATOL * scale)


def inputs(shape, channels_last, seed=0):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x.requires_grad_()


def run(module, x, seed=1):
    """Output and the gradients of the input and every parameter under a fixed random upstream gradient."""
    y = module(x)
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(seed))
    x.grad = None
    module.zero_grad()
    (y * g).sum().backward()
    grads = {n.removeprefix('unit.'): p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    return y.detach(), x.grad.clone(), grads


def assert_same(new, ref, x):
    x_new, x_ref = x.detach().clone().requires_grad_(), x.detach().clone().requires_grad_()
    y1, gx1, gp1 = run(new, x_new)
    y2, gx2, gp2 = run(ref, x_ref)
    close(y1, y2)
    close(gx1, gx2)
    assert gp1.keys() == gp2.keys()
    # a gradient that is 0 in exact arithmetic (the bias of a conv followed by BN in training) is rounding noise
    # of the size of the other gradients, so every parameter gradient is compared on the scale of the largest
    scale = max(max(float(g.abs().max()) for g in gp2.values()), 1.)
    for name in gp1:
        close(gp1[name], gp2[name], scale)
    for (name, b1), (_, b2) in zip(new.named_buffers(), ref.named_buffers()):
        close(b1.float(), b2.float())


class RefUnitGCN(nn.Module):
    """unit_gcn's forward as first written: einsum over the K subsets, then contiguous + BN."""

    def __init__(self, unit):
        super().__init__()
        self.unit = unit

    def forward(self, x):
        u = self.unit
        n, _, t, v = x.shape
        A = u.adjacency()
        if u.conv_pos == 'pre':
            x_k = u.conv(x).reshape(n, u.num_subsets, u.out_channels, t, v)
            y = torch.einsum('nkctv,kvw->nctw', x_k, A)
        else:
            y = u.conv(torch.einsum('nctv,kvw->nkctw', x, A).reshape(n, -1, t, v))
        y = u.bn(y.contiguous())
        if u.with_res:
            y = y + (u.down(x) if hasattr(u, 'down') else x)
        return u.act(y)


def test_aggregate_subsets_is_the_einsum():
    x = torch.randn(2, 3 * 5, 4, 7).contiguous(memory_format=torch.channels_last)
    A = torch.randn(3, 7, 7)
    y = aggregate_subsets(x, A)
    close(y, torch.einsum('nkctv,kvw->nctw', x.reshape(2, 3, 5, 4, 7), A))
    assert y.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize('adaptive', [None, 'init', 'offset', 'importance'])
@pytest.mark.parametrize('conv_pos', ['pre', 'post'])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('channels_last', [True, False])
def test_unit_gcn_matches_einsum(adaptive, conv_pos, train, channels_last):
    A = torch.tensor(Graph(layout='nturgb+d', mode='spatial').A, dtype=torch.float32)
    unit = unit_gcn(6, 8, A, adaptive=adaptive, conv_pos=conv_pos, with_res=True)
    with torch.no_grad():
        if adaptive == 'offset':
            unit.PA.normal_()
        elif adaptive == 'importance':
            unit.PA.uniform_(0.5, 1.5)
    ref = RefUnitGCN(copy.deepcopy(unit))
    unit.train(train)
    ref.train(train)
    x = inputs((3, 6, 10, 25), channels_last)
    assert_same(unit, ref, x)
    assert list(unit.state_dict()) == list(ref.unit.state_dict())


class RefMSTCN(nn.Module):
    """mstcn's forward with every branch run on its own (the straightforward formulation)."""

    def __init__(self, unit):
        super().__init__()
        self.unit = unit

    def forward(self, x):
        u = self.unit
        if isinstance(u, dgmstcn):
            V = x.shape[-1]
            x = torch.cat([x, x.mean(dim=-1, keepdim=True)], dim=-1)
            out = torch.cat([branch(x) for branch in u.branches], dim=1)
            feat = out[..., :V] + out[..., V:] * u.add_coeff[:V]
            return u.drop(u.bn(u.transform(feat)))
        feat = torch.cat([branch(x) for branch in u.branches], dim=1)
        if u.fuse:
            feat = u.bn(u.transform(feat))
        if u.residual_mode == 'identity':
            feat = feat + x
        elif u.residual_mode == 'conv':
            feat = feat + u.residual(x)
        return u.drop(u.out_act(feat))


def randomize_bn(module):
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_()
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2)


@pytest.mark.parametrize('kind', ['stgcn++', 'msg3d', 'ctrgcn', 'dgstgcn', 'stride2'])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('channels_last', [True, False])
def test_mstcn_fused_bottleneck_matches_branches(kind, train, channels_last):
    c_in = 12
    if kind == 'stgcn++':
        unit = mstcn(c_in, 12)
    elif kind == 'stride2':
        unit = mstcn(c_in, 24, stride=2, residual=True, act='ReLU')
    elif kind == 'msg3d':
        unit = mstcn(c_in, 12, ms_cfg=[(3, 1), (3, 2), ('max', 3), '1x1'], fuse=False, branch_norm=True,
                     remainder='last', residual=True, act='ReLU')
    elif kind == 'ctrgcn':
        unit = mstcn(c_in, 12, mid_channels=0.25, ms_cfg=[(5, 1), (5, 2), ('max', 3), '1x1'])
    else:
        unit = dgmstcn(c_in, 12, num_joints=25)
        with torch.no_grad():
            unit.add_coeff.normal_()
    randomize_bn(unit)
    ref = RefMSTCN(copy.deepcopy(unit))
    unit.train(train)
    ref.train(train)
    assert_same(unit, ref, inputs((3, c_in, 10, 25), channels_last))
    # a second step: running statistics and num_batches_tracked keep agreeing
    assert_same(unit, ref, inputs((3, c_in, 10, 25), channels_last, seed=5))
    assert list(unit.state_dict()) == list(ref.unit.state_dict())


@pytest.mark.parametrize('momentum', [0.1, None])
@pytest.mark.parametrize('train', [True, False])
def test_batch_norm_concat_matches_separate_norms(momentum, train):
    norms = nn.ModuleList(nn.BatchNorm2d(c, momentum=momentum) for c in (3, 5, 2))
    randomize_bn(norms)
    ref = copy.deepcopy(norms)
    norms.train(train)
    ref.train(train)
    for seed in (0, 1):
        x = inputs((4, 10, 6, 5), True, seed)
        y = batch_norm_concat(x, list(norms))
        y_ref = torch.cat([bn(p) for p, bn in zip(x.split([3, 5, 2], 1), ref)], 1)
        close(y, y_ref)
        for a, b in zip(norms.state_dict().values(), ref.state_dict().values()):
            close(a.float(), b.float())


def test_batch_norm_concat_mixed_settings_fall_back():
    norms = [nn.BatchNorm2d(3, eps=1e-3), nn.BatchNorm2d(2)]
    x = torch.randn(2, 5, 4, 3)
    close(batch_norm_concat(x, norms), torch.cat([norms[0](x[:, :3]), norms[1](x[:, 3:])], 1))


@pytest.mark.parametrize('bn_type', ['VC', 'MVC', 'none'])
def test_data_bn_output_is_channels_last_with_the_same_values(bn_type):
    data_bn = build_data_bn(bn_type, 2, 25, 3)
    x = torch.randn(2, 2, 10, 25, 3)
    y = data_bn(x)
    assert y.shape == (4, 3, 10, 25) and y.is_contiguous(memory_format=torch.channels_last)
    if bn_type == 'none':
        close(y, x.permute(0, 1, 4, 2, 3).reshape(4, 3, 10, 25))


def test_multi_clip_testing_runs_every_clip_of_a_batch_in_one_forward():
    """10-clip testing: RecognizerGCN flattens (N, clips, ...) into one backbone call of N * clips samples."""
    import pyskl.models  # noqa: F401
    from pyskl.registry import MODELS
    model = MODELS.build(dict(
        type='RecognizerGCN',
        backbone=dict(type='STGCN', base_channels=8, gcn_adaptive='init', gcn_with_res=True, tcn_type='mstcn',
                      graph_cfg=dict(layout='nturgb+d', mode='spatial')),
        cls_head=dict(type='GCNHead', num_classes=5, in_channels=32))).eval()
    calls = []
    model.backbone.register_forward_hook(lambda mod, args, out: calls.append(tuple(args[0].shape)))
    x = torch.randn(3, 10, 2, 12, 25, 3)
    with torch.inference_mode():
        preds = model(x, [dict(gt_label=0)] * 3, mode='predict')
    assert calls == [(30, 2, 12, 25, 3)] and len(preds) == 3

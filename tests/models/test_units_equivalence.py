"""The speed-rewritten units equal their straightforward formulation: outputs, input and parameter gradients,
BatchNorm running statistics; train and eval mode.

Units are fed contiguous ``(N, C, T, V)`` features (``unit_gcn``, ``unit_aagcn``, ``unit_ctrgcn``,
``aggregate_subsets`` and ``expand_subsets`` also checked on channels-last input); the channels-last layout of
whole backbones, and torch 2.13's strided 1x1 conv crash on it, are covered by test_channels_last.py.

Tolerances. The main comparisons run in float64, where two formulations of the same sum differ by rounding
only: about ``n * 2**-53 * sum |terms|`` for a sum of ``n`` terms, i.e. below 1e-13 relative here, so
``rtol=1e-9`` / ``atol=1e-9 * scale`` leaves a margin of 1e4 for the amplification by a training-mode
BatchNorm (``1 / std`` of a channel) and still fails on any real difference (a wrong index or subset gives
errors of order 1). The float32 checks use ``1e-4`` relative to the largest value: float32 rounding
(``2**-24``) times sums of a few hundred terms, with margin; exact zeros in exact arithmetic (the bias
gradient of a conv followed by a training-mode BatchNorm) are pure rounding noise, so parameter gradients are
compared on the scale of the largest parameter gradient.
"""

import copy
import types

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from pyskl.models.gcns import (
    dggcn,
    dgmstcn,
    msg3d_unit,
    msgcn,
    mstcn,
    multiscale_adjacency,
    unit_aagcn,
    unit_ctrgcn,
    unit_gcn,
    unit_tcn,
)
from pyskl.models.gcns.dgstgcn import _FuseSkeleton, _JoinSkeleton
from pyskl.models.gcns.utils import (
    accumulate_products,
    aggregate_subsets,
    batch_norm_concat,
    expand_subsets,
    reference_formulation,
)
from pyskl.models.utils.graph import Graph

TOL = {torch.float64: 1e-9, torch.float32: 1e-4}


def close(a, b, scale=None):
    """Equal within ``TOL`` relative, and absolutely within ``TOL`` times ``scale`` (default: the largest entry of
    ``b``, at least 1)."""
    tol = TOL[b.dtype] if b.is_floating_point() else 0
    scale = max(float(b.abs().max()), 1.0) if scale is None else scale
    torch.testing.assert_close(a, b, rtol=tol, atol=tol * scale)


def inputs(shape, channels_last, dtype, seed=0):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def run(module, x, seed=1):
    """Output, input gradient and every parameter's gradient under a fixed random upstream gradient."""
    x = x.detach().clone().requires_grad_()
    y = module(x)
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(seed), dtype=y.dtype)
    module.zero_grad(set_to_none=True)
    (y * g).sum().backward()
    grads = {n.removeprefix('unit.'): p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    return y.detach(), x.grad.clone(), grads


def assert_same(new, ref, x):
    """``new`` and ``ref`` (holding a deep copy of ``new`` as ``unit``) agree on ``x``."""
    y1, gx1, gp1 = run(new, x)
    y2, gx2, gp2 = run(ref, x)
    close(y1, y2)
    close(gx1, gx2)
    assert gp1.keys() == gp2.keys() and gp1
    scale = max(max(float(g.abs().max()) for g in gp2.values()), 1.0)
    for name in gp1:
        close(gp1[name], gp2[name], scale)
    buffers = dict(ref.unit.named_buffers())
    for name, b in new.named_buffers():
        close(b, buffers[name])
    assert list(new.state_dict()) == list(ref.unit.state_dict())


def randomize_bn(module):
    """Non-trivial BatchNorm affine parameters and running statistics (eval mode uses them)."""
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def check_against(unit, ref_forward, shape, train, dtype, channels_last=False):
    """``unit`` (BatchNorms randomised, in ``dtype``, train or eval) agrees with a deep copy of itself run by
    ``ref_forward(unit, x)`` on two inputs of ``shape`` (the second checks the running statistics kept agreeing)."""
    randomize_bn(unit)
    unit = unit.to(dtype).train(train)
    ref = RefUnit(copy.deepcopy(unit), ref_forward).train(train)
    for seed in (0, 5):
        assert_same(unit, ref, inputs(shape, channels_last, dtype, seed))


AGGREGATIONS = {  # function, input channels, its einsum formulation
    'aggregate_subsets': (
        aggregate_subsets,
        15,
        lambda x, A: torch.einsum('nkctv,kvw->nctw', x.reshape(2, 3, 5, 4, 7), A),
    ),
    'expand_subsets': (expand_subsets, 5, lambda x, A: torch.einsum('nctv,kvw->nkctw', x, A).reshape(2, 15, 4, 7)),
}


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('channels_last', [True, False])
@pytest.mark.parametrize('name', list(AGGREGATIONS))
def test_aggregation_is_the_einsum(name, channels_last, dtype):
    fn, channels, einsum = AGGREGATIONS[name]
    x = inputs((2, channels, 4, 7), channels_last, dtype).requires_grad_()
    A = torch.randn(3, 7, 7, dtype=dtype, generator=torch.Generator().manual_seed(3)).requires_grad_()
    y = fn(x, A)
    x_ref, A_ref = x.detach().clone().requires_grad_(), A.detach().clone().requires_grad_()
    y_ref = einsum(x_ref, A_ref)
    close(y, y_ref)
    # the output keeps the input's memory layout
    assert y.is_contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    g = torch.randn(y.shape, dtype=dtype, generator=torch.Generator().manual_seed(4))
    (y * g).sum().backward()
    (y_ref * g).sum().backward()
    close(x.grad, x_ref.grad)
    close(A.grad, A_ref.grad)


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('init_shape', [None, (6, 1), (2, 6, 5)])
@pytest.mark.parametrize('broadcast_adjacency', [False, True])
def test_accumulate_products_is_the_sum_of_the_products(dtype, init_shape, broadcast_adjacency):
    """Strided features (the parts of ``unbind``, as the units pass them), stride-0 adjacencies, a broadcast
    ``init``: values and the gradients of every operand equal ``init + sum_k f_k @ a_k``."""
    gen = torch.Generator().manual_seed(6)
    feats = torch.randn(2, 3, 6, 4, dtype=dtype, generator=gen).requires_grad_()  # (B, K, M, V)
    adj = torch.randn(3, 4, 5, dtype=dtype, generator=gen)
    adj = (adj if broadcast_adjacency else torch.randn(2, 3, 4, 5, dtype=dtype, generator=gen)).requires_grad_()
    init = None if init_shape is None else torch.randn(init_shape, dtype=dtype, generator=gen).requires_grad_()
    adjs = [a.expand(2, 4, 5) for a in adj] if broadcast_adjacency else adj.unbind(1)
    y = accumulate_products(init, feats.unbind(1), adjs)
    operands = [t for t in (feats, adj, init) if t is not None]
    copies = [t.detach().clone().requires_grad_() for t in operands]
    f_ref, a_ref = copies[0], copies[1]
    y_ref = torch.einsum('bkmv,bkvw->bmw', f_ref, a_ref.expand(2, 3, 4, 5) if broadcast_adjacency else a_ref)
    if init is not None:
        y_ref = y_ref + copies[2]
    close(y, y_ref)
    assert y.shape == (2, 6, 5) and y.is_contiguous()
    g = torch.randn(y.shape, dtype=dtype, generator=gen)
    (y * g).sum().backward()
    (y_ref * g).sum().backward()
    for t, ref in zip(operands, copies):
        close(t.grad, ref.grad)


def test_accumulate_products_rejects_mismatched_operands():
    with pytest.raises(ValueError, match='2 feature and 1 adjacency operands'):
        accumulate_products(None, [torch.randn(1, 2, 3)] * 2, [torch.randn(1, 3, 3)])


def test_aggregate_subsets_rejects_channels_not_a_multiple_of_the_subsets():
    with pytest.raises(ValueError, match='not a multiple of the 3 subsets'):
        aggregate_subsets(torch.randn(1, 7, 2, 5), torch.randn(3, 5, 5))


def ref_unit_gcn_forward(u, x):
    """unit_gcn's forward in the straightforward formulation: einsum over the K subsets."""
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


@pytest.mark.parametrize('adaptive', [None, 'init', 'offset', 'importance'])
@pytest.mark.parametrize('conv_pos', ['pre', 'post'])
@pytest.mark.parametrize('c_in', [6, 8, 10])
@pytest.mark.parametrize('channels_last', [False, True])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_unit_gcn_matches_einsum(adaptive, conv_pos, c_in, channels_last, train, dtype):
    """Fewer, equal and more input than output channels (the 'pre' unit aggregates the narrower side)."""
    A = torch.tensor(Graph(layout='nturgb+d', mode='spatial').A, dtype=torch.float32)
    with torch.random.fork_rng():  # a fixed initialisation (the comparison holds for any)
        torch.manual_seed(0)
        unit = unit_gcn(c_in, 8, A, adaptive=adaptive, conv_pos=conv_pos, with_res=True)
    with torch.no_grad():
        if adaptive == 'offset':
            unit.PA.normal_()
        elif adaptive == 'importance':
            unit.PA.uniform_(0.5, 1.5)
    check_against(unit, ref_unit_gcn_forward, (3, c_in, 10, 25), train, dtype, channels_last=channels_last)


def ref_formulation_forward(u, x):
    """The unit run in its reference formulation (the original's operations:
    ``pyskl.models.gcns.utils.reference_formulation``, which ``pyskl flops`` counts); the fast form is checked
    against it here and against the released logits by the reference checker."""
    with reference_formulation(u):
        return u(x)


def build_perturbed(factory):
    """``factory()`` under a fixed seed, every parameter moved by ``N(0, 0.3^2)`` so that the terms the
    initialisation zeroes (AAGCN's alpha and attention outputs, CTR-GCN's alpha) count."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        unit = factory()
        with torch.no_grad():
            for p in unit.parameters():
                p.add_(torch.randn_like(p) * 0.3)
    return unit


class RefUnit(nn.Module):
    """A unit (held as ``unit``) run by the straightforward ``forward(unit, x)``."""

    def __init__(self, unit, forward):
        super().__init__()
        self.unit = unit
        self.ref_forward = forward

    def forward(self, x):
        return self.ref_forward(self.unit, x)


@pytest.mark.parametrize('adaptive', [True, False])
@pytest.mark.parametrize('attention', [True, False])
@pytest.mark.parametrize('c_in', [6, 8, 12])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('channels_last', [False, True])
def test_unit_aagcn_matches_its_per_subset_formulation(adaptive, attention, c_in, train, dtype, channels_last):
    A = torch.tensor(Graph(layout='nturgb+d', mode='spatial').A, dtype=torch.float32)
    unit = build_perturbed(lambda: unit_aagcn(c_in, 8, A, adaptive=adaptive, attention=attention))
    check_against(unit, ref_formulation_forward, (3, c_in, 10, 25), train, dtype, channels_last)


def ref_unit_ctrgcn_forward(u, x):
    """unit_ctrgcn's forward as PYSKL writes it: one CTRGC per subset (its convs on the full input, then the mean
    over T), summed."""
    y = sum(ctrgc(x, u.A[k], u.alpha) for k, ctrgc in enumerate(u.convs))  # CTRGC.forward
    return u.relu(u.bn(y) + (u.down(x) if hasattr(u, 'down') else x))


@pytest.mark.parametrize('c_in', [6, 8, 24, 32])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('channels_last', [False, True])
def test_unit_ctrgcn_matches_per_subset_ctrgc(c_in, train, dtype, channels_last):
    A = torch.tensor(Graph(layout='nturgb+d', mode='spatial').A, dtype=torch.float32)
    unit = build_perturbed(lambda: unit_ctrgcn(c_in, 24, A))
    check_against(unit, ref_unit_ctrgcn_forward, (3, c_in, 10, 25), train, dtype, channels_last)


class dggcn_joined(dggcn):
    """``dggcn(return_graph=True)`` returning its ``(features, graph)`` as one tensor, both flattened."""

    def forward(self, x):
        y, graph = super().forward(x)
        return torch.cat([y.flatten(1), graph.flatten(1)], 1)


@pytest.mark.parametrize('return_graph', [False, True])
@pytest.mark.parametrize('c_in', [16, 24])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('channels_last', [False, True])
def test_dggcn_pooling_before_its_convs_matches_convolving_every_frame(return_graph, c_in, train, dtype, channels_last):
    """ProtoGCN's dggcn (pool_first=False: conv1 / conv2 over every frame, then the mean over time) computed from the
    time-pooled input, against its reference formulation, the original's order."""
    A = torch.tensor(Graph(layout='nturgb+d', mode='random', num_filter=8, init_off=0.04, init_std=0.02).A)
    cls = dggcn_joined if return_graph else dggcn
    unit = build_perturbed(lambda: cls(c_in, 24, A.float(), ratio=None, pool_first=False, return_graph=return_graph))
    check_against(unit, ref_formulation_forward, (3, c_in, 10, 25), train, dtype, channels_last)


def ref_msgcn_forward(u, x):
    """msgcn's forward as the original writes it: einsum over the scales, stacked, mlp."""
    n, c, t, v = x.shape
    support = torch.einsum('nctv,kvw->nkctw', x, u.A + u.PA)
    return u.mlp(support.reshape(n, u.num_scales * c, t, v))


def ref_msg3d_unit_forward(u, x):
    """msg3d_unit's forward as the original writes it: unfold the windows, msgcn, out_conv (a Conv3d)."""
    n, _, _, v = x.shape
    y = ref_msgcn_forward(u.gcn3d[1], u.gcn3d[0](x)).view(n, u.embed_channels, -1, u.window_size, v)
    return u.out_bn(u.out_conv(y).squeeze(3))


@pytest.mark.parametrize('c_in, c_out', [(6, 8), (8, 8), (8, 6)])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_msgcn_matches_einsum(c_in, c_out, train, dtype):
    A = torch.tensor(multiscale_adjacency(Graph(layout='nturgb+d', mode='binary_adj').A[0], 13))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        unit = msgcn(c_in, c_out, A.float())
        with torch.no_grad():
            unit.PA.normal_(0, 0.1)
    check_against(unit, ref_msgcn_forward, (2, c_in, 11, 25), train, dtype)


@pytest.mark.parametrize(
    'c_in, c_out, embed, window, stride, dilation',
    [(6, 8, None, 3, 1, 1), (3, 8, 8, 5, 1, 1), (8, 8, None, 5, 2, 1), (6, 4, 5, 3, 1, 2), (6, 8, None, 3, 2, 2)],
)  # the 3-channel input unfolds its windows, the others run msgcn.forward_windows
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_msg3d_unit_matches_unfolded_windows(c_in, c_out, embed, window, stride, dilation, train, dtype):
    A = Graph(layout='nturgb+d', mode='binary_adj').A[0]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        unit = msg3d_unit(c_in, c_out, A, 3, window, stride, dilation, embed_channels=embed)
        with torch.no_grad():
            unit.gcn3d[1].PA.normal_(0, 0.1)
    check_against(unit, ref_msg3d_unit_forward, (2, c_in, 11, 25), train, dtype)


class RefMSTCN(nn.Module):
    """mstcn's / dgmstcn's forward with every branch run on its own (the straightforward formulation)."""

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


def make_mstcn(kind, c_in):
    if kind == 'stgcn++':
        return mstcn(c_in, 12)
    if kind == 'stride2':
        return mstcn(c_in, 24, stride=2, residual=True, act='ReLU')
    if kind == 'msg3d':
        return mstcn(
            c_in,
            12,
            ms_cfg=[(3, 1), (3, 2), ('max', 3), '1x1'],
            fuse=False,
            branch_norm=True,
            remainder='last',
            residual=True,
            act='ReLU',
        )
    if kind == 'ctrgcn':
        return mstcn(c_in, 12, mid_channels=0.25, ms_cfg=[(5, 1), (5, 2), ('max', 3), '1x1'])
    unit = dgmstcn(c_in, 12, num_joints=25)
    with torch.no_grad():
        unit.add_coeff.normal_()
    return unit


@pytest.mark.parametrize(
    'kind, channels_last',
    [
        ('stgcn++', False),
        ('msg3d', False),
        ('ctrgcn', False),
        ('dgstgcn', False),
        ('dgstgcn', True),
        ('stride2', False),
    ],
)
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_mstcn_fused_bottleneck_matches_branches(kind, channels_last, train, dtype):
    """Also DG-TCN's joint-skeleton join and fusion (their own backward passes) on channels-last input, the layout
    DG-STGCN runs in."""
    with torch.random.fork_rng():  # a fixed initialisation (the comparison holds for any)
        torch.manual_seed(0)
        unit = make_mstcn(kind, 12)
    randomize_bn(unit)
    unit = unit.to(dtype).train(train)
    ref = RefMSTCN(copy.deepcopy(unit)).train(train)
    for seed in (0, 5):  # a second step: running statistics and num_batches_tracked keep agreeing
        assert_same(unit, ref, inputs((3, 12, 10, 25), channels_last, dtype, seed))


@pytest.mark.parametrize('channels_last', [False, True])
def test_dgmstcn_join_and_fusion_keep_the_layout_and_pass_gradcheck(channels_last):
    """The joint-skeleton join and fusion of DG-TCN write their outputs and their input gradients in the input's
    layout, and their hand-written backward passes agree with finite differences (float64)."""
    x = inputs((2, 4, 3, 5), channels_last, torch.float64).requires_grad_()
    coeff = torch.randn(5, dtype=torch.float64, generator=torch.Generator().manual_seed(3), requires_grad=True)
    weight = torch.randn(4, 4, 1, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(4))

    def unit(x, coeff):
        return _FuseSkeleton.apply(F.conv2d(_JoinSkeleton.apply(x), weight), coeff)

    assert torch.autograd.gradcheck(unit, (x, coeff))
    y = unit(x, coeff)
    y.backward(torch.ones_like(y))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    assert y.is_contiguous(memory_format=fmt) and x.grad.is_contiguous(memory_format=fmt)


@pytest.mark.parametrize('momentum', [0.1, None])
@pytest.mark.parametrize('train', [True, False])
def test_batch_norm_concat_matches_separate_norms(momentum, train):
    norms = nn.ModuleList(nn.BatchNorm2d(c, momentum=momentum) for c in (3, 5, 2))
    randomize_bn(norms)
    norms = norms.double().train(train)
    ref = copy.deepcopy(norms)
    for seed in (0, 1):
        x = inputs((4, 10, 6, 5), False, torch.float64, seed)
        y = batch_norm_concat(x, list(norms))
        y_ref = torch.cat([bn(p) for p, bn in zip(x.split([3, 5, 2], 1), ref)], 1)
        close(y, y_ref)
        for (name, a), b in zip(norms.state_dict().items(), ref.state_dict().values()):
            close(a, b)


def test_batch_norm_concat_mixed_settings_fall_back():
    norms = [nn.BatchNorm2d(3, eps=1e-3).double(), nn.BatchNorm2d(2).double()]
    x = inputs((2, 5, 4, 3), False, torch.float64)
    close(batch_norm_concat(x, norms), torch.cat([norms[0](x[:, :3]), norms[1](x[:, 3:])], 1))


def plain_branch_outputs(self, x):
    """mstcn's branches one by one, concatenated."""
    return torch.cat([branch(x) for branch in self.branches], dim=1)


def plain_dgmstcn_features(self, x):
    """dgmstcn's joint-skeleton join and fusion as ``cat`` and slices (autograd's own backward)."""
    V = x.shape[-1]
    out = self.branch_outputs(torch.cat([x, x.mean(dim=-1, keepdim=True)], dim=-1))
    return out[..., :V] + out[..., V:] * self.add_coeff[:V]


def straightforward(model):
    """A deep copy of ``model`` whose unit_gcn / mstcn / dgmstcn units run the straightforward formulation."""
    model = copy.deepcopy(model)
    for m in model.modules():
        if isinstance(m, unit_gcn):
            m.forward = types.MethodType(ref_unit_gcn_forward, m)
        elif isinstance(m, unit_aagcn):
            m.reference_formulation = True
        elif isinstance(m, unit_ctrgcn):
            m.forward = types.MethodType(ref_unit_ctrgcn_forward, m)
        elif isinstance(m, msg3d_unit):
            m.forward = types.MethodType(ref_msg3d_unit_forward, m)
        elif isinstance(m, msgcn):
            m.forward = types.MethodType(ref_msgcn_forward, m)
        elif isinstance(m, mstcn):
            m.branch_outputs = types.MethodType(plain_branch_outputs, m)
            if isinstance(m, dgmstcn):
                m.features = types.MethodType(plain_dgmstcn_features, m)
    return model


@pytest.mark.parametrize(
    'backbone',
    [
        dict(type='STGCN', gcn_adaptive='init', gcn_with_res=True, tcn_type='mstcn'),
        dict(type='STGCN', gcn_adaptive='importance'),
        dict(type='DGSTGCN', channels_last=False),
        dict(type='AAGCN'),
        dict(type='CTRGCN'),
        dict(type='MSG3D', graph_cfg=dict(layout='nturgb+d', mode='binary_adj')),
    ],
    ids=['stgcn++', 'stgcn', 'dgstgcn', 'aagcn', 'ctrgcn', 'msg3d'],
)
def test_fixed_seed_training_follows_the_same_loss_curve(backbone):
    """Three SGD steps (momentum, weight decay) of a small model: the loss curve and the final weights of the
    rewritten units equal those of the straightforward formulation (float64).

    Training amplifies rounding differences about 100x per step on this tiny problem (loss differences measured
    over 8 steps: 0, 1e-15, 4e-13, 2e-11, 4e-9, ... for ST-GCN++), so three steps keep a margin of 1e3 under the
    1e-9 tolerance while a formulation error would show at the first step. DG-STGCN amplifies about 1000x per step
    through its subset mixing weights ``alpha``: on an Intel Xeon (torch 2.13, float64) ``gcn.0.gcn.alpha`` was
    3e-15, 5e-12 and 9e-9 apart after steps 1-3 in the plain layout, so it takes two steps; it runs in the plain
    layout here (channels-last rounds differently again), its equality with that is test_channels_last.py's."""
    import pyskl.models  # noqa: F401
    from pyskl.registry import MODELS

    graph = dict(layout='nturgb+d', mode='spatial')
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = MODELS.build(
            dict(
                type='RecognizerGCN',
                backbone=dict(dict(base_channels=8, graph_cfg=graph), **backbone),
                cls_head=dict(type='GCNHead', num_classes=5, in_channels=32),
            )
        ).double()
    ref = straightforward(model)
    assert list(model.state_dict()) == list(ref.state_dict())
    gen = torch.Generator().manual_seed(0)
    curves = ([], [])
    optims = [torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4) for m in (model, ref)]
    for _ in range(2 if backbone['type'] == 'DGSTGCN' else 3):
        x = torch.randn(4, 2, 12, 25, 3, generator=gen, dtype=torch.float64)
        samples = [dict(gt_label=int(i)) for i in torch.randint(5, (4,), generator=gen)]
        for m, optim, curve in zip((model, ref), optims, curves):
            loss = m(x, samples, mode='loss')['loss_cls']
            optim.zero_grad()
            loss.backward()
            optim.step()
            curve.append(loss.detach())
    close(torch.stack(curves[0]), torch.stack(curves[1]))
    for (name, a), b in zip(model.state_dict().items(), ref.state_dict().values()):
        close(a, b)


@pytest.mark.parametrize(
    'backbone',
    [
        dict(type='STGCN', gcn_adaptive='importance'),
        dict(type='AAGCN'),
        dict(type='CTRGCN'),
        dict(type='MSG3D', graph_cfg=dict(layout='nturgb+d', mode='binary_adj')),
    ],
    ids=['stgcn', 'aagcn', 'ctrgcn', 'msg3d'],
)
def test_reference_formulation_gives_the_same_outputs_and_is_restored(backbone):
    """pyskl flops counts the units in their original formulation (reference_formulation): same logits, the
    published operation counts; the fast forms come back after the context."""
    import pyskl.models  # noqa: F401
    from pyskl.registry import MODELS

    graph = dict(layout='nturgb+d', mode='spatial')
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = (
            MODELS.build(
                dict(
                    type='RecognizerGCN',
                    backbone=dict(dict(base_channels=8, graph_cfg=graph), **backbone),
                    cls_head=dict(type='GCNHead', num_classes=5, in_channels=32),
                )
            )
            .double()
            .eval()
        )
    x = torch.randn(2, 2, 12, 25, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    units = [m for m in model.modules() if hasattr(m, 'reference_formulation')]
    assert units and not any(m.reference_formulation for m in units)
    with torch.no_grad():
        fast = model(x, mode='tensor')
        with reference_formulation(model):
            assert all(m.reference_formulation for m in units)
            ref = model(x, mode='tensor')
    assert not any(m.reference_formulation for m in units)
    close(fast, ref)


@pytest.mark.parametrize('kernel, stride', [(9, 1), (9, 2), (1, 1), (1, 2)])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_unit_tcn_eval_folds_its_batchnorm_into_the_conv(kernel, stride, train, dtype):
    """In eval mode unit_tcn runs conv + BN as one conv with folded weights: the same as conv then BN."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        unit = unit_tcn(6, 8, kernel_size=kernel, stride=stride)
    randomize_bn(unit)
    unit = unit.to(dtype).train(train)
    ref = RefUnit(copy.deepcopy(unit), lambda u, x: u.drop(u.bn(u.conv(x)))).train(train)
    for seed in (0, 5):
        assert_same(unit, ref, inputs((3, 6, 10, 25), False, dtype, seed))

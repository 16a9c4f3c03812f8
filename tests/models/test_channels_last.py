"""The backbones run channels-last (``DataBN(channels_last=True)``; ST-GCN / ST-GCN++ by default) with the values
of the contiguous layout, and without torch 2.13's strided 1x1 conv crash.

torch 2.13's CPU (oneDNN) backward of a strided 1x1 ``Conv2d`` on a channels-last input corrupts the heap with 2
threads (``free(): invalid next size`` / ``double free`` / SIGSEGV), e.g. ``Conv2d(8, 8, 1, stride=(2, 1))`` on
``(3, 8, 10, 25)``; only some shapes (an odd output length, few channels) and only some runs. Strided convs with
kernels 3, 5 and 9 did not crash in the same search. :class:`~pyskl.models.gcns.tcn.TemporalConv2d` runs every
strided 1x1 conv of the models (residual downsampling, the ``'1x1'`` mstcn branch) as a stride-1 conv of the
subsampled input, which never reaches that kernel.

Tolerances: float64 comparisons of two memory layouts of the same computation differ by the summation order of
the convolution / matmul kernels only (below 1e-12 relative here), so ``1e-9`` relative to the largest value
fails on any real difference.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from pyskl.models.gcns.tcn import TemporalConv2d
from pyskl.models.gcns.utils import mean_keepdim

sys.path.insert(0, str(Path(__file__).parent))
from test_backbones import BACKBONES, build  # noqa: E402

TOL = 1e-9


def close(a, b, scale=None):
    scale = max(float(b.abs().max()), 1.0) if scale is None else scale
    torch.testing.assert_close(a, b, rtol=TOL, atol=TOL * scale)


@pytest.mark.parametrize('dim', [-2, -1, 2, 3, 1])
@pytest.mark.parametrize('channels_last', [False, True])
def test_mean_keepdim_equals_mean_and_keeps_the_layout(dim, channels_last):
    """``mean_keepdim`` is ``x.mean(dim, keepdim=True)`` (values and input gradient, float64) whose output has the
    input's layout: a channels-last input gives a channels-last output (``Tensor.mean`` gives a plain one)."""
    x = torch.randn(3, 5, 7, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = x.contiguous(memory_format=fmt).requires_grad_()
    ref = x.detach().clone().requires_grad_()
    y, y_ref = mean_keepdim(x, dim), ref.mean(dim, keepdim=True)
    close(y, y_ref)
    g = torch.randn(y.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y.backward(g)
    y_ref.backward(g)
    close(x.grad, ref.grad)
    assert y.is_contiguous(memory_format=fmt)


@pytest.mark.parametrize('stride', [(2, 1), (3, 1), (2, 2)])
@pytest.mark.parametrize('T', [9, 10, 16])
def test_temporal_conv_strided_1x1_equals_conv2d(stride, T):
    """The subsampled formulation equals ``nn.Conv2d``'s own strided 1x1 conv: output, input and parameter
    gradients (the reference runs on a contiguous input, the layout where the conv is safe)."""
    torch.manual_seed(0)
    ref = nn.Conv2d(6, 5, 1, stride=stride).double()
    new = TemporalConv2d(6, 5, 1, stride=stride).double()
    new.load_state_dict(ref.state_dict())
    x = torch.randn(3, 6, T, 7, dtype=torch.float64)
    for channels_last in (False, True):
        xr = x.clone().requires_grad_()
        xn = (x.contiguous(memory_format=torch.channels_last) if channels_last else x.clone()).requires_grad_()
        yr, yn = ref(xr), new(xn)
        assert yn.shape == yr.shape
        close(yn, yr)
        g = torch.randn(yr.shape, dtype=torch.float64)
        ref.zero_grad()
        new.zero_grad()
        (yr * g).sum().backward()
        (yn * g).sum().backward()
        close(xn.grad, xr.grad)
        close(new.weight.grad, ref.weight.grad)
        close(new.bias.grad, ref.bias.grad)


def test_temporal_conv_other_kernels_are_plain_conv2d():
    torch.manual_seed(0)
    ref = nn.Conv2d(4, 4, (9, 1), stride=(2, 1), padding=(4, 0))
    new = TemporalConv2d(4, 4, (9, 1), stride=(2, 1), padding=(4, 0))
    new.load_state_dict(ref.state_dict())
    x = torch.randn(2, 4, 11, 5)
    torch.testing.assert_close(new(x), ref(x), rtol=0, atol=0)


def _set_channels_last(model, flag):
    model.backbone.data_bn.channels_last = flag


def _run(model, x, seed=1):
    """Logits, input gradient, parameter gradients and BN running statistics under a fixed upstream gradient."""
    x = x.detach().clone().requires_grad_()
    with torch.random.fork_rng():  # the same dropout masks (ProtoGCN's prototype dropout) for both models
        torch.manual_seed(seed)
        y = model(x, mode='tensor')
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(seed), dtype=y.dtype)
    model.zero_grad(set_to_none=True)
    (y * g).sum().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    buffers = {n: b.clone() for n, b in model.named_buffers() if b.is_floating_point()}
    return y.detach(), x.grad, grads, buffers


@pytest.mark.parametrize('train', [True, False], ids=['train', 'eval'])
@pytest.mark.parametrize('name', list(BACKBONES))
def test_channels_last_backbone_equals_contiguous(name, train):
    """Full recognizer forward and backward in float64: logits, input and every parameter gradient, BN running
    statistics, channels-last vs contiguous (same initial weights)."""
    torch.manual_seed(0)
    a = build(name).double().train(train)
    b = build(name).double().train(train)
    b.load_state_dict(a.state_dict())
    _set_channels_last(a, True)
    _set_channels_last(b, False)
    x = torch.randn(4, 1, 2, 20, 25, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    feat = a.backbone.data_bn(x[:, 0])  # the layout really differs, so the comparison is not vacuous
    assert feat.is_contiguous(memory_format=torch.channels_last) and not feat.is_contiguous()
    assert b.backbone.data_bn(x[:, 0]).is_contiguous()
    a.load_state_dict(b.state_dict())  # undo the running-stat updates of those two calls

    ya, ga, pa, ba = _run(a, x)
    yb, gb, pb, bb = _run(b, x)
    close(ya, yb)
    close(ga, gb)
    assert pa.keys() == pb.keys() and len(pa) > 0
    scale = max(float(g.abs().max()) for g in pb.values())
    for n in pb:
        close(pa[n], pb[n], scale)
    for n in bb:
        close(ba[n], bb[n])


@pytest.mark.parametrize('name', ['stgcn', 'stgcn++'])
def test_state_dict_stays_contiguous_after_channels_last_training(name, tmp_path):
    """Checkpoints keep plain contiguous tensors (loadable by the original code): parameters keep their layout
    under SGD even though the activations are channels-last."""
    torch.manual_seed(0)
    model = build(name).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(2, 1, 2, 10, 25, 3)
    for _ in range(2):
        opt.zero_grad()
        model(x, mode='tensor').square().mean().backward()
        opt.step()
    state = model.state_dict()
    bad = [k for k, v in state.items() if not v.is_contiguous()]
    assert not bad, bad
    torch.save(state, tmp_path / 'w.pth')
    loaded = torch.load(tmp_path / 'w.pth', weights_only=True)
    assert all(loaded[k].is_contiguous() and torch.equal(loaded[k], v) for k, v in state.items())


# Forward + backward of every backbone at small widths, 2 threads, T = 10 (-> 5 -> 3: odd lengths after the
# strided stages, the shapes where the old strided 1x1 conv crashed). With the plain strided ``Conv2d`` (replace
# ``TemporalConv2d.forward`` by ``nn.Conv2d.forward``) this child aborted (see the report of branch speed3).
CHILD = textwrap.dedent(
    """
    import sys
    import torch
    sys.path.insert(0, sys.argv[2])
    from test_backbones import BACKBONES
    from pyskl.registry import MODELS, register_all_modules

    torch.set_num_threads(2)
    register_all_modules()
    for name, cfg in BACKBONES.items():
        bb = MODELS.build(dict(cfg, base_channels=8)).train()
        bb.data_bn.channels_last = True  # channels-last in every backbone, also where it is off by default
        m = 2 if getattr(bb.data_bn, 'bn_type', None) == 'MVC' else 1
        for it in range(int(sys.argv[1])):
            x = torch.randn(3, m, 10, 25, 3)
            y = bb(x)
            y = y[0] if isinstance(y, tuple) else y
            y.square().mean().backward()
        print(name, 'ok', flush=True)
    """
)


def test_stress_forward_backward_two_threads_does_not_crash():
    proc = subprocess.run(
        [sys.executable, '-c', CHILD, '30', str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f'exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-2000:]}'
    assert proc.stdout.split() == [w for n in BACKBONES for w in (n, 'ok')]


def _layout(t):
    if t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous():
        return 'channels_last'
    return 'contiguous' if t.is_contiguous() else f'strided {t.stride()}'


@pytest.mark.parametrize('name', ['stgcn++', 'dgstgcn', 'protogcn'])
def test_channels_last_backbones_keep_the_layout_through_blocks_and_gradients(name):
    """A block that hands back a plain-layout output or gradient makes every channels-last kernel around it mix
    layouts (copies; a ReLU backward measured 19x slower). So each block of a channels-last backbone outputs
    channels-last features, and the gradient each block's backward hands to the one before it is channels-last
    too (also through the strided blocks and after the head's mean)."""
    torch.manual_seed(0)
    model = build(name).train()
    assert model.backbone.data_bn.channels_last  # on by default for these backbones
    seen = []

    def pre_hook(module, args):  # the gradient the block's backward hands to the previous block
        args[0].register_hook(lambda g: seen.append(('input gradient', _layout(g))))

    def hook(module, args, out):
        seen.append(('output', _layout(out[0] if isinstance(out, tuple) else out)))

    blocks = list(model.backbone.gcn)
    for i, block in enumerate(blocks):
        if i:  # block 0's input is the 3-channel input feature (its gradient is converted inside the unit)
            block.register_forward_pre_hook(pre_hook)
        block.register_forward_hook(hook)
    x = torch.randn(2, 1, 2, 20, 25, 3, generator=torch.Generator().manual_seed(0))
    model(x, mode='tensor').sum().backward()
    n = len(blocks)
    assert seen == [('output', 'channels_last')] * n + [('input gradient', 'channels_last')] * (n - 1)

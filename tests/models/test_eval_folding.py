"""In eval mode the units fold a BatchNorm that follows a conv into the conv's weight and bias (``conv_bn``:
unit_tcn, mstcn's bottleneck and fusion, dggcn's ``pre`` / ``post`` / ``down``): the logits are those of running
every BatchNorm on its own, in float64 with random running statistics, for all seven backbones."""

import copy
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from pyskl.models.gcns.utils import eval_bn_affine

sys.path.insert(0, str(Path(__file__).parent))
from test_backbones import BACKBONES, build  # noqa: E402
from test_units_equivalence import randomize_bn  # noqa: E402


class UnfoldedBatchNorm2d(nn.BatchNorm2d):
    """A BatchNorm2d that no unit folds (``eval_bn_affine`` takes exactly ``nn.BatchNorm2d``)."""


@pytest.mark.parametrize('name', list(BACKBONES))
def test_eval_logits_with_folded_batchnorms_equal_separate_batchnorms(name):
    torch.manual_seed(0)
    model = build(name).double().eval()
    randomize_bn(model)
    unfolded = copy.deepcopy(model)
    norms = [m for m in unfolded.modules() if type(m) is nn.BatchNorm2d]
    for m in norms:
        m.__class__ = UnfoldedBatchNorm2d
    assert norms and eval_bn_affine(norms[0]) is None
    x = torch.randn(3, 1, 2, 16, 25, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        fast, ref = model(x, mode='tensor'), unfolded(x, mode='tensor')
    torch.testing.assert_close(fast, ref, rtol=1e-9, atol=1e-9 * float(ref.abs().max()))


FUSED_OP = 'mkldnn::_convolution_pointwise'


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason='needs a oneDNN (mkldnn) CPU build of torch')
@pytest.mark.parametrize('name', list(BACKBONES))
def test_cpu_inference_fuses_residual_add_and_relu_into_convs_with_the_same_logits(name):
    """In float32 CPU inference the blocks' ``relu(conv(y) + residual)``, mstcn's bottleneck ReLU and DG-GCN's
    ``pre`` / ``post`` run as oneDNN convolutions with fused post-operations; with autograd recording the same
    model runs the separate operations. The two give the same logits, and the profiler sees the fused kernel."""
    torch.manual_seed(0)
    model = build(name).eval()
    randomize_bn(model)
    x = torch.randn(3, 1, 2, 16, 25, 3, generator=torch.Generator().manual_seed(1))
    with torch.enable_grad():
        ref = model(x, mode='tensor').detach()
    with torch.profiler.profile() as prof, torch.inference_mode():
        fast = model(x, mode='tensor')
    fused_calls = sum(e.count for e in prof.key_averages() if e.key == FUSED_OP)
    assert fused_calls >= 9  # ten blocks (MS-G3D: its mstcn bottlenecks)
    torch.testing.assert_close(fast, ref, rtol=1e-5, atol=1e-5 * float(ref.abs().max()))


def test_fused_conv_falls_back_under_autocast_tracing_and_other_dtypes():
    """The fused kernel only runs where it computes what the separate operations would: float32 CPU inference.
    Under autocast, a jit trace or in float64 ``conv_bn_act`` gives the plain operations' values."""
    from pyskl.models.gcns.utils import conv_bn_act

    torch.manual_seed(0)
    conv, bn = nn.Conv2d(8, 8, (9, 1), padding=(4, 0)), nn.BatchNorm2d(8)
    randomize_bn(bn)
    conv.eval(), bn.eval()
    x, res = torch.randn(2, 8, 12, 5), torch.randn(2, 8, 12, 5)
    expected = torch.relu(bn(conv(x)) + res).detach()
    with torch.profiler.profile() as prof, torch.inference_mode():
        fused = conv_bn_act(conv, bn, x, res, relu=True)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            cast = conv_bn_act(conv, bn, x, res, relu=True)
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts.get(FUSED_OP, 0) == 1  # the float32 call only
    torch.testing.assert_close(fused, expected, rtol=1e-5, atol=1e-5)
    assert cast.dtype == torch.float32 and torch.allclose(cast, expected, atol=0.1)

    class Unit(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = conv, bn

        def forward(self, a, b):
            return conv_bn_act(self.conv, self.bn, a, b, relu=True)

    with torch.no_grad():
        traced = torch.jit.trace(Unit().eval(), (x, res))
    assert FUSED_OP.split('::')[1] not in str(traced.graph)
    torch.testing.assert_close(traced(x, res), expected, rtol=1e-5, atol=1e-5)
    with torch.inference_mode():
        double = conv_bn_act(conv.double(), bn.double(), x.double(), res.double(), relu=True)
    torch.testing.assert_close(double, expected.double(), rtol=1e-5, atol=1e-5)

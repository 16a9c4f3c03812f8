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

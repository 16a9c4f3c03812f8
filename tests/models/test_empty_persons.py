"""Inference computes each all-zero padding person once per person slot (``EmptyPersons``), with the values of the
full batch.

The pipeline pads a sample with fewer than M persons with all-zero persons; in eval mode with gradients off every
backbone maps those to the same features (per slot: ``data_bn`` may be per person), so it computes one and copies
it. Compared in float64 against the same module with gradients enabled (which computes every instance), the
values agree to the summation order of a smaller batch: ``1e-9`` relative fails on any real difference.
"""

import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from pyskl.models.backbones.utils import EmptyPersons

sys.path.insert(0, str(Path(__file__).parent))
from test_backbones import BACKBONES, build  # noqa: E402

TOL = 1e-9
#: (sample, slot) of the all-zero persons of the 6 x 2 test batch: two samples padded in slot 1, one in slot 0
#: only, one with no person at all
EMPTY = [(1, 1), (2, 1), (3, 0), (4, 0), (4, 1), (5, 1)]


def _batch(dtype=torch.float64):
    x = torch.randn(6, 2, 16, 25, 3, generator=torch.Generator().manual_seed(0), dtype=dtype)
    for n, m in EMPTY:
        x[n, m] = 0
    return x


def _model(name):
    """An eval-mode float64 model whose BatchNorms have random running statistics (so a zero person's features
    are not zero and differ per slot where ``data_bn`` is per person)."""
    torch.manual_seed(0)
    model = build(name).double().eval()
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm) and mod.running_mean is not None:
            mod.running_mean.normal_(0, 0.5)
            mod.running_var.uniform_(0.5, 2)
    return model


def _computed_instances(model, fn):
    """``fn()``'s result and the batch size each backbone block saw (the instances it computed)."""
    sizes = []
    backbone = model.backbone
    first = backbone.tcn1 if hasattr(backbone, 'tcn1') else getattr(backbone, backbone.blocks_attr)[0]
    handle = first.register_forward_hook(lambda mod, args, out: sizes.append(args[0].shape[0]))
    try:
        out = fn()
    finally:
        handle.remove()
    return out, sizes


def _close(a, b):
    torch.testing.assert_close(a, b, rtol=TOL, atol=TOL * max(float(b.abs().max()), 1.0))


@pytest.mark.parametrize('name', list(BACKBONES))
def test_padding_persons_are_computed_once_per_slot_with_the_full_batch_values(name):
    model = _model(name)
    x = _batch()
    with torch.no_grad():
        fast, sizes = _computed_instances(model, lambda: model.backbone(x))
    assert sizes == [12 - len(EMPTY) + 2], sizes  # the non-empty persons and one padding person per slot
    with torch.enable_grad():  # gradients on: every instance is computed
        full, sizes = _computed_instances(model, lambda: model.backbone(x))
    assert sizes == [12]
    full = tuple(t.detach() for t in full) if isinstance(full, tuple) else full.detach()
    fast, full = (fast, full) if isinstance(full, tuple) else ((fast,), (full,))  # ProtoGCN: (feat, graph)
    for a, b in zip(fast, full):
        assert a.shape == b.shape
        _close(a, b)
    with torch.no_grad():  # and the logits, through the head, sample by sample (no padding to share there)
        logits = model(x, mode='tensor')
        alone = torch.cat([model(x[i : i + 1], mode='tensor') for i in range(len(x))])
    _close(logits, alone)


@pytest.mark.parametrize('name', ['stgcn++', 'protogcn'])
def test_every_instance_is_computed_when_training_tracing_or_nothing_to_share(name):
    model = _model(name)
    x = _batch()
    model.train()
    with torch.no_grad():
        _, sizes = _computed_instances(model, lambda: model.backbone(x))
    assert sizes == [12]  # training: BatchNorm's batch statistics count every padding person
    model.eval()
    one_each = x.clone()
    one_each[4] = one_each[1, 1] = one_each[2, 1] = 1.0  # left: one padding person per slot, (3, 0) and (5, 1)
    with torch.no_grad():
        _, sizes = _computed_instances(model, lambda: model.backbone(one_each))
    assert sizes == [12]
    if name == 'stgcn++':
        with torch.no_grad():
            _, sizes = _computed_instances(model, lambda: torch.jit.trace(model.backbone, (x,), check_trace=False))
        assert sizes == [12]  # a trace (ONNX export, FLOP counting) must not bake in this batch's padding


def test_plan_indices_and_non_finite_persons():
    model = nn.Module().eval()
    x = _batch(torch.float32)
    x[0, 1] = float('nan')  # a NaN person is not padding: it is computed (and its NaN stays its own)
    with torch.no_grad():
        plan = EmptyPersons.plan(model, x)
    # instance n * 2 + m; slot 1's first padding person is 3 (sample 1), slot 0's is 6 (sample 3)
    assert plan.keep.tolist() == [0, 1, 2, 3, 4, 6, 7, 10]
    assert plan.keep[plan.inverse].tolist() == [0, 1, 2, 3, 4, 3, 6, 7, 6, 3, 10, 3]
    with torch.no_grad():
        assert EmptyPersons.plan(model, torch.randn(3, 2, 4, 5, 3)) is None  # no padding
    assert EmptyPersons.plan(model, x) is None  # gradients enabled
    with torch.no_grad():
        assert EmptyPersons.plan(model, torch.zeros(2, 2, 0, 25, 3)) is None  # no frames: nothing to plan

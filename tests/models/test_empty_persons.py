"""Every backbone computes each all-zero padding person once per person slot (``EmptyPersons``), with the values
of the full batch.

The pipeline pads a sample with fewer than M persons with all-zero persons; every backbone maps those to the same
features (per slot: ``data_bn`` may be per person), so it computes one and copies it; in training its BatchNorms
count the copies. Compared in float64 against the same module with ``share_empty_persons = False`` (which computes
every instance), the values agree to the summation order of a smaller batch: ``1e-9`` relative fails on any real
difference.
"""

import copy
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from pyskl.models.backbones.persons import EmptyPersons

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
        model.backbone.share_empty_persons = False
        full, sizes = _computed_instances(model, lambda: model.backbone(x))
        assert sizes == [12]
        model.backbone.share_empty_persons = True
    fast, full = (fast, full) if isinstance(full, tuple) else ((fast,), (full,))  # ProtoGCN: (feat, graph)
    for a, b in zip(fast, full):
        assert a.shape == b.shape
        _close(a, b)
    with torch.no_grad():  # and the logits, through the head, sample by sample (no padding to share there)
        logits = model(x, mode='tensor')
        alone = torch.cat([model(x[i : i + 1], mode='tensor') for i in range(len(x))])
    _close(logits, alone)


@pytest.mark.parametrize('name', ['stgcn++', 'protogcn'])
def test_every_instance_is_computed_for_an_input_gradient_a_trace_or_nothing_to_share(name):
    model = _model(name)
    x = _batch()
    _, sizes = _computed_instances(model, lambda: model.backbone(x.clone().requires_grad_()))
    assert sizes == [12]  # each padding person's own input gradient is wanted
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
    assert EmptyPersons.plan(model, x).keep.tolist() == plan.keep.tolist()  # gradients on: parameters' are shared
    assert EmptyPersons.plan(model, x.clone().requires_grad_()) is None  # the input's own gradient is wanted
    with torch.no_grad():
        assert EmptyPersons.plan(model, torch.zeros(2, 2, 0, 25, 3)) is None  # no frames: nothing to plan


def _train_step(model, x, labels):
    """Loss, gradients and the instances computed for one training step of ``model`` on ``x`` ``(N, M, T, V, C)``."""
    model.zero_grad()
    samples = [dict(gt_label=int(y)) for y in labels]
    losses, sizes = _computed_instances(model, lambda: model(x[:, None], samples, mode='loss'))
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    loss.backward()
    return loss.detach(), sizes


@pytest.mark.parametrize('name', list(BACKBONES))
def test_training_shares_padding_persons_with_the_full_batch_loss_gradients_and_statistics(name):
    """Training computes each slot's padding persons once too: BatchNorm's batch statistics (and their gradient)
    weight the shared instance by its copies, so the loss, every parameter's gradient and the running statistics
    are the full batch's, step after step.

    The temporal branches' max-pools are average pools here. A padding person's features are constant over the
    middle frames, so a max-pool window holds equal values there, equal up to rounding that depends on where the
    instance sits in the batch and on the thread count: its gradient goes to one frame or another (both valid
    subgradients), which moved ST-GCN++'s adjacency gradient by 5e-6 relative on an AMD EPYC (also between 1 and 2
    threads of the same unshared model). The pooling itself is per instance; the eval test keeps the max-pools."""
    torch.manual_seed(0)
    shared = build(name).double().train()
    for mod in list(shared.modules()):
        if isinstance(mod, nn.Dropout):
            mod.p = 0.0  # ProtoGCN's reconstruction dropout (outside the blocks) would draw different masks
        for child_name, child in mod.named_children():
            if isinstance(child, nn.MaxPool2d):  # see below
                setattr(mod, child_name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding))
    full = copy.deepcopy(shared)
    full.backbone.share_empty_persons = False
    x, labels = _batch(), torch.arange(6) % 4
    for model in (shared, full):
        model.opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        loss, sizes = _train_step(shared, x, labels)
        assert sizes == [12 - len(EMPTY) + 2], sizes
        ref, sizes = _train_step(full, x, labels)
        assert sizes == [12]
        _close(loss, ref)
        for (key, p), q in zip(shared.named_parameters(), full.parameters()):
            assert (p.grad is None) == (q.grad is None), key
            if p.grad is not None:
                _close(p.grad, q.grad)
        for (key, a), b in zip(shared.named_buffers(), full.buffers()):
            _close(a.double(), b.double())
        shared.opt.step()
        full.opt.step()


def test_training_computes_every_person_with_dropout_or_sync_bn_in_the_blocks():
    torch.manual_seed(0)
    model = build('aagcn').double().train()
    x, labels = _batch(), torch.arange(6) % 4
    assert _train_step(model, x, labels)[1] == [12 - len(EMPTY) + 2]
    drop = model.backbone.gcn[3].tcn.drop
    drop.p = 0.5  # copies of a padding person would share one dropout mask
    assert _train_step(model, x, labels)[1] == [12]
    drop.eval()  # an inactive dropout changes nothing
    assert _train_step(model, x, labels)[1] == [12 - len(EMPTY) + 2]
    bn = model.backbone.gcn[3].tcn.bn
    model.backbone.gcn[3].tcn.bn = nn.SyncBatchNorm(bn.num_features).double()  # its statistics are not local ones
    assert _train_step(model, x, labels)[1] == [12]


def test_training_shares_padding_persons_under_bfloat16_autocast():
    """``--amp`` on CPU: bfloat16 convolutions feed the shared BatchNorms (computed in float32, returned in
    bfloat16). The loss and the running statistics agree with computing every person to bfloat16 precision and the
    gradients are finite float32. (Gradients are not compared: on this small random network bfloat16's own
    gradients are ~60 % from float64's, shared or not.)"""
    torch.manual_seed(0)
    shared = build('stgcn++').train()
    full = copy.deepcopy(shared)
    full.backbone.share_empty_persons = False
    x, labels = _batch(torch.float32), torch.arange(6) % 4
    results = []
    for model in (shared, full):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            results.append(_train_step(model, x, labels))
    assert results[0][1] == [12 - len(EMPTY) + 2] and results[1][1] == [12]
    torch.testing.assert_close(results[0][0], results[1][0], rtol=2e-2, atol=0)
    for p in shared.parameters():
        assert p.grad.dtype == torch.float32 and bool(p.grad.isfinite().all())
    for (key, a), b in zip(shared.named_buffers(), full.buffers()):
        if a.is_floating_point():
            torch.testing.assert_close(a, b, rtol=5e-2, atol=5e-2 * float(b.abs().max()), msg=key)


@pytest.mark.parametrize('name', ['stgcn', 'msg3d', 'protogcn'])
def test_share_empty_persons_false_in_the_config_computes_every_person(name):
    model = build(name, share_empty_persons=False).double()
    x, labels = _batch(), torch.arange(6) % 4
    assert _train_step(model.train(), x, labels)[1] == [12]
    with torch.no_grad():
        assert _computed_instances(model.eval(), lambda: model.backbone(x))[1] == [12]


def test_eval_with_a_batchnorm_without_running_statistics_counts_the_copies():
    """A BatchNorm without running statistics normalises with the batch's also in eval mode: the shared padding
    persons are counted as in training, and the features are the full batch's."""
    model = _model('stgcn')
    bn = model.backbone.gcn[2].tcn.bn
    bn.track_running_stats, bn.running_mean, bn.running_var, bn.num_batches_tracked = False, None, None, None
    x = _batch()
    with torch.no_grad():
        fast, sizes = _computed_instances(model, lambda: model.backbone(x))
        assert sizes == [12 - len(EMPTY) + 2]
        model.backbone.share_empty_persons = False
        full, sizes = _computed_instances(model, lambda: model.backbone(x))
        assert sizes == [12]
    _close(fast, full)

"""Properties every backbone shares, one parametrised test each (add a new backbone to BACKBONES).

Model-specific behaviour lives in tests/models/test_<model>.py; released key schemas and reference logits are
checked once, by tests/test_configs.py and tests/test_reference.py."""

import pytest
import torch

from pyskl.registry import MODELS, register_all_modules

NTU = dict(layout='nturgb+d', mode='spatial')
RANDOM = dict(layout='nturgb+d', mode='random', num_filter=8, init_off=0.04, init_std=0.02)
W = 16  # base width: the smallest each model accepts with its ratios

#: name -> (backbone config, head config without num_classes / in_channels)
BACKBONES = {
    'stgcn': dict(type='STGCN', base_channels=W, graph_cfg=dict(NTU, mode='stgcn_spatial')),
    'stgcn++': dict(
        type='STGCN', base_channels=W, gcn_adaptive='init', gcn_with_res=True, tcn_type='mstcn', graph_cfg=NTU
    ),
    'aagcn': dict(type='AAGCN', base_channels=W, graph_cfg=NTU),
    'msg3d': dict(type='MSG3D', base_channels=12, graph_cfg=dict(NTU, mode='binary_adj')),
    'dgstgcn': dict(
        type='DGSTGCN',
        base_channels=W,
        gcn_ratio=0.125,
        gcn_ctr='T',
        gcn_ada='T',
        tcn_ms_cfg=[(3, 1), (3, 2), (3, 3), (3, 4), ('max', 3), '1x1'],
        graph_cfg=RANDOM,
    ),
    'ctrgcn': dict(type='CTRGCN', base_channels=W, graph_cfg=NTU),
    'protogcn': dict(type='ProtoGCN', base_channels=W, num_prototype=8, graph_cfg=RANDOM),
}
NUM_CLASSES = 4


def build(name, **backbone_options):
    """The test recognizer of backbone ``name`` (``backbone_options`` override its backbone config)."""
    register_all_modules()
    backbone = dict(BACKBONES[name], **backbone_options)
    width = backbone['base_channels'] * 4
    head = dict(type='SimpleHead', joint_cfg='nturgb+d') if name == 'protogcn' else dict(type='GCNHead')
    head.update(num_classes=NUM_CLASSES, in_channels=width)
    return MODELS.build(dict(type='RecognizerGCN', backbone=backbone, cls_head=head))


def _data():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(8) % NUM_CLASSES
    x = torch.randn(8, 1, 2, 16, 25, 3, generator=g) + labels.view(8, 1, 1, 1, 1, 1).float()  # class-dependent
    return x, [dict(gt_label=int(y)) for y in labels]


@pytest.mark.parametrize('name', list(BACKBONES))
def test_every_parameter_gets_a_gradient_and_sgd_reduces_the_loss(name):
    torch.manual_seed(0)
    model = build(name).train()
    x, samples = _data()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for step in range(8):
        opt.zero_grad()
        out = model(x, samples, mode='loss')
        loss = sum(v for k, v in out.items() if k.startswith('loss'))
        loss.backward()
        if step == 0:
            missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
            assert not missing, f'{name}: no gradient for {missing}'
        opt.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses))), losses
    assert losses[-1] < 0.7 * losses[0], f'{name}: {losses}'


@pytest.mark.parametrize('name', list(BACKBONES))
def test_eval_outputs_and_determinism(name):
    model = build(name).eval()
    x, _ = _data()
    with torch.no_grad():
        a, b = model(x, mode='tensor'), model(x, mode='tensor')
    assert a.shape == (8, NUM_CLASSES) and torch.isfinite(a).all()
    torch.testing.assert_close(a, b, rtol=0, atol=0)  # eval mode has no randomness
    with torch.no_grad():
        half = model(x[:4], mode='tensor')
    torch.testing.assert_close(half, a[:4], rtol=1e-4, atol=1e-5)  # a sample's scores do not depend on its batch


@pytest.mark.parametrize('name', list(BACKBONES))
def test_bfloat16_autocast_trains_and_infers_close_to_float32(name):
    """``--amp`` on CPU (bfloat16 autocast): a training step gives finite float32 gradients for every parameter and
    a loss near float32's, and eval logits (no_grad and inference_mode, whose fused paths differ) are near float32's.
    (AAGCN's training step had failed: an in-place product mixed bfloat16 and float32 operands.)"""
    torch.manual_seed(0)
    model = build(name).train()
    x, samples = _data()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = model(x, samples, mode='loss')
    loss = sum(v for k, v in out.items() if k.startswith('loss'))
    loss.backward()
    grads = [(n, p.grad) for n, p in model.named_parameters() if p.requires_grad]
    assert all(g is not None and g.dtype == torch.float32 and bool(g.isfinite().all()) for _, g in grads), name
    model.zero_grad()
    ref = sum(v for k, v in model(x, samples, mode='loss').items() if k.startswith('loss'))
    torch.testing.assert_close(loss.float(), ref, rtol=0.1, atol=0.05)
    model.eval()
    with torch.no_grad():
        expected = model(x, mode='tensor')
    for context in (torch.no_grad, torch.inference_mode):
        with context(), torch.autocast('cpu', dtype=torch.bfloat16):
            got = model(x, mode='tensor').float()
        torch.testing.assert_close(got, expected, rtol=0.1, atol=0.1 * float(expected.abs().max()))


@pytest.mark.parametrize('name', list(BACKBONES))
@pytest.mark.parametrize(
    'option, value',
    [
        ('base_channels', 0),
        ('base_channels', -8),
        ('base_channels', 16.0),
        ('in_channels', 0),
        ('in_channels', True),
    ],
)
def test_bad_widths_are_clear_errors(name, option, value):
    """A careless width is a ValueError naming the backbone, the argument and the value, not a torch error from
    deep inside a conv or a BatchNorm."""
    with pytest.raises(ValueError, match=rf'{BACKBONES[name]["type"]}: {option} must be a positive int, got {value!r}'):
        build(name, **{option: value})


@pytest.mark.parametrize(
    'name, option, value, what',
    [(n, 'num_stages', 0, 'a positive int') for n in ('stgcn', 'stgcn++', 'aagcn', 'dgstgcn', 'ctrgcn', 'protogcn')]
    + [(n, 'ch_ratio', 0, 'positive') for n in ('stgcn', 'stgcn++', 'dgstgcn', 'protogcn')],
)
def test_bad_stage_schedule_is_a_clear_error(name, option, value, what):
    with pytest.raises(ValueError, match=rf'{BACKBONES[name]["type"]}: {option} must be {what}, got {value!r}'):
        build(name, **{option: value})


@pytest.mark.parametrize(
    'ms_cfg, message',
    [
        ([(3, 0)], r'dilation must be a positive int'),
        ([(0, 1)], r'kernel must be a positive int'),
        ([('max', 0)], r'kernel must be a positive int'),
    ],
)
def test_bad_multiscale_branch_is_a_clear_error(ms_cfg, message):
    with pytest.raises(ValueError, match=r'mstcn branch .*' + message):
        build('stgcn++', tcn_ms_cfg=ms_cfg)


@pytest.mark.parametrize('num_classes', [0, -1, 2.5, '60', True])
def test_bad_num_classes_in_a_head_is_a_clear_error(num_classes):
    register_all_modules()
    for head in (dict(type='GCNHead'), dict(type='SimpleHead', joint_cfg='nturgb+d')):
        with pytest.raises(ValueError, match=rf'num_classes must be a positive int, got {num_classes!r}'):
            MODELS.build(dict(head, num_classes=num_classes, in_channels=64))


@pytest.mark.parametrize('name', list(BACKBONES))
def test_absurd_widths_are_refused_before_building(name):
    # 10**6 base channels (e.g. from a checkpoint's stored config) would allocate terabytes, layer by layer
    with pytest.raises(
        ValueError, match=rf'{BACKBONES[name]["type"]}: base_channels must be at most 4096, got 1000000'
    ):
        build(name, base_channels=10**6)

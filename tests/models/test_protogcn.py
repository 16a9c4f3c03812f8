"""ProtoGCN: output contract, the class memory in checkpoints, the loss terms, trainability (reference numerics:
tests/test_reference.py)."""

import pytest
import torch

import pyskl.models  # noqa: F401
from pyskl.registry import MODELS


def recognizer(num_classes=5, base_channels=16, num_prototype=8, layout='nturgb+d'):
    backbone = dict(
        type='ProtoGCN',
        base_channels=base_channels,
        num_prototype=num_prototype,
        graph_cfg=dict(layout=layout, mode='random', num_filter=8, init_off=0.04, init_std=0.02),
    )
    head = dict(type='SimpleHead', joint_cfg=layout, num_classes=num_classes, in_channels=4 * base_channels)
    return MODELS.build(dict(type='RecognizerGCN', backbone=backbone, cls_head=head))


def batch(n=4, V=25, t=16):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 2, t, V, 3, generator=g), [dict(gt_label=i % 5) for i in range(n)]


@pytest.mark.parametrize('layout,V', [('nturgb+d', 25), ('coco', 17)])
def test_outputs(layout, V):
    model = recognizer(layout=layout).eval()
    x, _ = batch(2, V)
    with torch.no_grad():
        feat, graph = model.backbone(x)
        assert feat.shape == (2, 2, 64, 4, V) and graph.shape == (2, V * V)
        scores = model(x, mode='tensor')
        assert scores.shape == (2, 5)
        torch.testing.assert_close(model.cls_head((feat, graph)), scores)
        [p] = model(x[None], [{}], mode='predict')  # two clips of one sample: softmax averaged
        torch.testing.assert_close(p['pred_score'], scores.softmax(1).mean(0))
    assert model.cls_head.csc_loss.cl_fc.in_features == V * V


def test_loss_terms_and_class_memory():
    model = recognizer().train()
    x, samples = batch()
    memory = model.cls_head.csc_loss.avg_f.clone()
    with torch.no_grad():  # the same scores as the loss pass (the prototype dropout touches only the graph)
        pred = model(x, mode='tensor').argmax(1).tolist()
    out = model(x, samples, mode='loss')
    assert sorted(k for k in out if 'loss' in k) == ['loss_cls']  # mmengine sums only loss_cls
    torch.testing.assert_close(out['loss_cls'].detach(), out['ce'] + 0.2 * out['csc'])
    # the memory moves only for classes with a correctly predicted sample, and is stored detached
    after = model.cls_head.csc_loss.avg_f
    assert not after.requires_grad
    hit = {s['gt_label'] for s, p in zip(samples, pred) if s['gt_label'] == p}
    moved = {c for c in range(5) if not torch.equal(after[:, c], memory[:, c])}
    assert moved == hit


def test_class_memory_is_saved_and_old_checkpoints_load(tmp_path):
    from pyskl.engine.checkpoint import load_checkpoint

    model = recognizer()
    sd = model.state_dict()
    assert 'cls_head.csc_loss.avg_f' in sd
    old = {k: v for k, v in sd.items() if not k.endswith('avg_f')}  # the original never saved it
    torch.save(dict(state_dict=old), tmp_path / 'old.pth')
    other = recognizer()
    before = other.cls_head.csc_loss.avg_f.clone()
    load_checkpoint(other, str(tmp_path / 'old.pth'))  # strict: no error for the missing memory
    assert torch.equal(other.cls_head.csc_loss.avg_f, before)
    torch.testing.assert_close(other.cls_head.fc_cls.weight, model.cls_head.fc_cls.weight)
    torch.save(dict(state_dict=sd), tmp_path / 'new.pth')
    load_checkpoint(other, str(tmp_path / 'new.pth'))
    assert torch.equal(other.cls_head.csc_loss.avg_f, model.cls_head.csc_loss.avg_f)
    del old['cls_head.fc_cls.bias']
    torch.save(dict(state_dict=old), tmp_path / 'bad.pth')
    with pytest.raises(RuntimeError, match='fc_cls.bias'):
        load_checkpoint(other, str(tmp_path / 'bad.pth'))

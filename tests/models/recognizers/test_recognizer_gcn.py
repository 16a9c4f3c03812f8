"""RecognizerGCN: 10-clip testing runs all clips of a batch through the backbone in one forward."""

import torch

from pyskl.registry import MODELS, register_all_modules


def _model():
    register_all_modules()
    return MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=dict(
                type='STGCN',
                graph_cfg=dict(layout='coco', mode='spatial'),
                in_channels=3,
                base_channels=8,
                num_stages=2,
                inflate_stages=[],
                down_stages=[],
            ),
            cls_head=dict(type='GCNHead', num_classes=4, in_channels=8),
        )
    ).eval()


def test_multi_clip_batch_is_one_backbone_forward():
    model = _model()
    calls = []
    model.backbone.register_forward_hook(lambda mod, args, out: calls.append(tuple(args[0].shape)))
    n, clips = 3, 10
    inputs = torch.randn(n, clips, 2, 20, 17, 3)
    with torch.no_grad():
        preds = model(inputs, [dict(gt_label=0, sample_idx=i) for i in range(n)], mode='predict')
    assert calls == [(n * clips, 2, 20, 17, 3)]  # one forward over N * num_clips clips
    assert len(preds) == n and preds[0]['pred_score'].shape == (4,)
    # and the clip average equals averaging per-clip softmax scores computed one clip at a time
    with torch.no_grad():
        single = torch.stack([model(inputs[:, c], mode='tensor').softmax(-1) for c in range(clips)], 1).mean(1)
    torch.testing.assert_close(torch.stack([p['pred_score'] for p in preds]), single, rtol=1e-5, atol=1e-6)

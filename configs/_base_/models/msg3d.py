# MS-G3D (PYSKL): disentangled multi-scale GCN (13 scales) + G3D windowed pathways (6 scales, windows 3 and 5)
# on the binary skeleton graph, channels 96/192/384, data BatchNorm over M*V*C.
# graph_cfg.layout and cls_head.num_classes are left out: they follow the dataset base's top-level
# `layout` and `num_classes` (filled in by the leaf's resolve_leaf(globals()); in_channels follows `feats`).
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='MSG3D', graph_cfg=dict(mode='binary_adj')),
    cls_head=dict(type='GCNHead', in_channels=384),
)

# ST-GCN (PYSKL re-implementation): importance-weighted ST-GCN partitioning, 9x1 temporal convolution.
# graph_cfg.layout and cls_head.num_classes are left out: they follow the dataset base's top-level
# `layout` and `num_classes` (filled in by the leaf's resolve_leaf(globals()); in_channels follows `feats`).
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='STGCN', graph_cfg=dict(mode='stgcn_spatial')),
    cls_head=dict(type='GCNHead', in_channels=256),
)

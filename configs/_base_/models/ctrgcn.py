# CTR-GCN (PYSKL): channel-wise topology refinement GCN on the 'spatial' graph (learned adjacency), multi-scale
# temporal convolution (kernel 5, dilations 1 and 2, max-pool and 1x1 branches), data BatchNorm over M*V*C.
# graph_cfg.layout and cls_head.num_classes are left out: they follow the dataset base's top-level
# `layout` and `num_classes` (filled in by the leaf's resolve_leaf(globals()); in_channels follows `feats`).
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='CTRGCN', graph_cfg=dict(mode='spatial')),
    cls_head=dict(type='GCNHead', in_channels=256),
)

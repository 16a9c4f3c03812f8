# ST-GCN++ (PYSKL): learnable adjacency initialised from the 'spatial' graph, residual GCN units,
# multi-scale temporal convolution.
# graph_cfg.layout and cls_head.num_classes are left out: they follow the dataset base's top-level
# `layout` and `num_classes` (filled in by the leaf's resolve_leaf(globals()); in_channels follows `feats`).
model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN', gcn_adaptive='init', gcn_with_res=True, tcn_type='mstcn', graph_cfg=dict(mode='spatial')
    ),
    cls_head=dict(type='GCNHead', in_channels=256),
)

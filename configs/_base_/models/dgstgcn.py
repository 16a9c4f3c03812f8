# DG-STGCN (PYSKL): learned group affinities initialised from a random graph (8 groups), dynamic
# channel / data-dependent refinement (ctr, ada), multi-branch temporal conv with joint-skeleton fusion.
# graph_cfg.layout and cls_head.num_classes are left out: they follow the dataset base's top-level
# `layout` and `num_classes` (filled in by the leaf's resolve_leaf(globals()); in_channels follows `feats`).
model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='DGSTGCN',
        gcn_ratio=0.125,
        gcn_ctr='T',
        gcn_ada='T',
        tcn_ms_cfg=[(3, 1), (3, 2), (3, 3), (3, 4), ('max', 3), '1x1'],
        graph_cfg=dict(mode='random', num_filter=8, init_off=0.04, init_std=0.02),
    ),
    cls_head=dict(type='GCNHead', in_channels=256),
)

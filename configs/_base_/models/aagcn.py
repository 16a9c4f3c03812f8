# AAGCN (PYSKL re-implementation of MS-AAGCN's single stream): adaptive graph (learned A + data-dependent
# term) with spatial-temporal-channel attention on the 'spatial' graph, 9x1 temporal convolution, input
# BatchNorm over M*V*C channels (so inputs must hold num_person=2 persons). gcn_attention=False gives AGCN.
# graph_cfg.layout and cls_head.num_classes are left out: they follow the dataset base's top-level
# `layout` and `num_classes` (filled in by the leaf's resolve_leaf(globals()); in_channels follows `feats`).
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='AAGCN', graph_cfg=dict(mode='spatial')),
    cls_head=dict(type='GCNHead', in_channels=256),
)

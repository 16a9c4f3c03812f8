# ST-GCN (PYSKL re-implementation): importance-weighted ST-GCN partitioning, 9x1 temporal convolution.
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='STGCN', graph_cfg=dict(layout='nturgb+d', mode='stgcn_spatial')),
    cls_head=dict(type='GCNHead', num_classes=60, in_channels=256))

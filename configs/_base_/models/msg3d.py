# MS-G3D (PYSKL): disentangled multi-scale GCN (13 scales) + G3D windowed pathways (6 scales, windows 3 and 5)
# on the binary skeleton graph, channels 96/192/384, data BatchNorm over M*V*C.
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='MSG3D', graph_cfg=dict(layout='nturgb+d', mode='binary_adj')),
    cls_head=dict(type='GCNHead', num_classes=60, in_channels=384))

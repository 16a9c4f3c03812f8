# AAGCN (PYSKL re-implementation of MS-AAGCN's single stream): adaptive graph (learned A + data-dependent
# term) with spatial-temporal-channel attention on the 'spatial' graph, 9x1 temporal convolution, input
# BatchNorm over M*V*C channels (so inputs must hold num_person=2 persons). gcn_attention=False gives AGCN.
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='AAGCN', graph_cfg=dict(layout='nturgb+d', mode='spatial')),
    cls_head=dict(type='GCNHead', num_classes=60, in_channels=256))

# DG-STGCN, NTU60 XSub, 3D skeleton, joint modality (PYSKL: 91.2 top-1).
# PYSKL's recipe differs from the ST-GCN++ one: no spine alignment, random rotation, UniformSampleDecode,
# 150 epochs of one pass each (SGD lr 0.1, cosine per iteration; the original config notes 4 GPUs x 16).
# GenSkeFeat's feats are set from the top-level `feats` by pyskl.utils.config.load_config.
_base_ = [
    '../../_base_/models/dgstgcn.py',
    '../../_base_/datasets/ntu60_xsub_3dkp.py',
    '../../_base_/schedules/sgd_cosine_16e.py',
    '../../_base_/default_runtime.py',
]

train_pipeline = [
    dict(type='PreNormalize3D', align_spine=False),
    dict(type='RandomRot', theta=0.2),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSampleDecode', clip_len=100),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
val_pipeline = [
    dict(type='PreNormalize3D', align_spine=False),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSampleDecode', clip_len=100, num_clips=1),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
test_pipeline = [
    dict(type='PreNormalize3D', align_spine=False),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSampleDecode', clip_len=100, num_clips=10),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]

# one pass per epoch (PYSKL's DG-STGCN config has no RepeatDataset)
train_dataloader = dict(dataset=dict(times=1, dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

max_epochs = 150
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0, T_max=max_epochs, by_epoch=True, convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=64)

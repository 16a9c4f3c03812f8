# NTU RGB+D 60, cross-subject, 3D Kinect skeletons (PYSKL's ntu60_3danno.pkl), 25-joint 'nturgb+d' layout.
# Modality: the top-level `feats` (default joint); pyskl.utils.load_config writes it into every GenSkeFeat
# and sets model.backbone.in_channels = kp_channels * len(feats).
dataset_type = 'PoseDataset'
ann_file = 'data/nturgbd/ntu60_3danno.pkl'
layout = 'nturgb+d'
num_classes = 60
feats = ['j']
kp_channels = 3
train_split, val_split = 'xsub_train', 'xsub_val'

train_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='UniformSampleFrames', clip_len=100),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
val_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='UniformSampleFrames', clip_len=100, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
test_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='UniformSampleFrames', clip_len=100, num_clips=10),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type='RepeatDataset',
        times=5,
        dataset=dict(type=dataset_type, ann_file=ann_file, pipeline=train_pipeline, split=train_split,
                     layout=layout, num_classes=num_classes)))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file, pipeline=val_pipeline, split=val_split, test_mode=True,
                 layout=layout, num_classes=num_classes))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file, pipeline=test_pipeline, split=val_split, test_mode=True,
                 layout=layout, num_classes=num_classes))
val_evaluator = [dict(type='AccMetric')]
test_evaluator = val_evaluator

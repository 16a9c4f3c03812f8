# Data recipe for 2D HRNet skeletons (NTU RGB+D 'hrnet' pickles: keypoint (M, T, 17, 2) in pixels plus
# keypoint_score (M, T, 17); 17-joint 'coco' layout), as the anchors' HRNet configs: pixel coordinates mapped
# to [-1, 1] by PreNormalize2D, 100-frame uniform sampling, num_person 2, 10 test clips,
# RepeatDataset(times=5) for training.
# Not a config on its own: a per-dataset base (e.g. ./ntu60_xsub_hrnet.py) adds the annotation file,
# the split names and the class count to the three dataloaders.
# Top-level facts (feats, kp_channels, layout, clip_len here; ann_file and num_classes in the per-dataset
# base): every place below uses them; a leaf that changes one ends with resolve_leaf(globals()) (docs/config.md).
dataset_type = 'PoseDataset'
layout = 'coco'
feats = ['j']
clip_len = 100  # frames per clip (every sampler follows it)
kp_channels = 3  # (x, y, score): GenSkeFeat joins keypoint_score as the third channel

train_pipeline = [
    dict(type='PreNormalize2D'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='UniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
val_pipeline = [
    dict(type='PreNormalize2D'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='UniformSampleFrames', clip_len=clip_len, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
test_pipeline = [
    dict(type='PreNormalize2D'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='UniformSampleFrames', clip_len=clip_len, num_clips=10),
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
        type='RepeatDataset', times=5, dataset=dict(type=dataset_type, pipeline=train_pipeline, layout=layout)
    ),
)
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, pipeline=val_pipeline, test_mode=True, layout=layout),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, pipeline=test_pipeline, test_mode=True, layout=layout),
)
val_evaluator = [dict(type='AccMetric')]
test_evaluator = val_evaluator

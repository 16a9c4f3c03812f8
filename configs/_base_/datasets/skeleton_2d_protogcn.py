# ProtoGCN's data recipe for 2D HRNet skeletons (PYSKL's gym_hrnet.pkl / k400_hrnet.pkl format: COCO-17 keypoint
# (M, T, 17, 2) in pixels plus keypoint_score (M, T, 17)): no PreNormalize2D (coordinates stay in pixels),
# 100-frame uniform sampling, a horizontal Flip (p 0.5, training only), Kinetics_Transform (COCO-17 -> the
# 20-joint 'coco_new' layout: mid-hip 17, mid-spine 18, mid-shoulder 19), num_person 2, 1 val clip, 10 test clips,
# one pass per epoch. PoseDataset checks the stored joint count of 'coco_new' (17, its `stored_as` layout 'coco').
# Not a config on its own: a per-dataset base (./finegym_hrnet.py, ./k400_hrnet.py) adds the annotation file,
# the split names and the class count to the three dataloaders.
# Top-level facts: every place below uses them; a leaf that changes one ends with resolve_leaf(globals()).
dataset_type = 'PoseDataset'
layout = 'coco_new'
feats = ['j']
clip_len = 100
kp_channels = 3  # (x, y, score)

train_pipeline = [
    dict(type='UniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    # the stored COCO-17 joints' flip pairs (Flip runs before Kinetics_Transform)
    dict(type='Flip', flip_ratio=0.5, layout='coco'),
    dict(type='Kinetics_Transform'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
val_pipeline = [
    dict(type='UniformSampleFrames', clip_len=clip_len, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='Kinetics_Transform'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
test_pipeline = [
    dict(type='UniformSampleFrames', clip_len=clip_len, num_clips=10),
    dict(type='PoseDecode'),
    dict(type='Kinetics_Transform'),
    dict(type='GenSkeFeat', dataset=layout, feats=feats),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type='RepeatDataset', times=1, dataset=dict(type=dataset_type, pipeline=train_pipeline, layout=layout)
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
val_evaluator = [dict(type='AccMetric')]  # top-1 / top-5 and mean-class accuracy (the original's metrics)
test_evaluator = val_evaluator

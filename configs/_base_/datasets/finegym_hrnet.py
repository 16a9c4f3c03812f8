# FineGYM (99 classes), 2D HRNet skeletons (PYSKL's gym_hrnet.pkl: COCO-17 keypoint (M, T, 17, 2) in pixels plus
# keypoint_score), with ProtoGCN's 2D recipe: no PreNormalize2D (coordinates stay in pixels), 100-frame uniform
# sampling, a horizontal Flip (p 0.5, training only), Kinetics_Transform (COCO-17 -> the 20-joint 'coco_new'
# layout: mid-hip 17, neck 18, mid-shoulder 19), num_person 2, 1 val clip, 10 test clips, one pass per epoch.
# Top-level facts: every place below uses them; a leaf that changes one ends with resolve_leaf(globals()).
# PoseDataset checks the stored joint count of 'coco_new' (17, its `stored_as` layout 'coco').
dataset_type = 'PoseDataset'
layout = 'coco_new'
feats = ['j']
clip_len = 100
kp_channels = 3  # (x, y, score)
ann_file = 'data/gym/gym_hrnet.pkl'
num_classes = 99

train_pipeline = [
    dict(type='UniformSampleFrames', clip_len=clip_len),
    dict(type='PoseDecode'),
    dict(type='Flip', flip_ratio=0.5, left_kp=[1, 3, 5, 7, 9, 11, 13, 15], right_kp=[2, 4, 6, 8, 10, 12, 14, 16]),
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
        type='RepeatDataset',
        times=1,
        dataset=dict(type=dataset_type, ann_file=ann_file, split='train', num_classes=num_classes,
                     pipeline=train_pipeline, layout=layout)))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file, split='val', num_classes=num_classes,
                 pipeline=val_pipeline, test_mode=True, layout=layout))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file, split='val', num_classes=num_classes,
                 pipeline=test_pipeline, test_mode=True, layout=layout))
val_evaluator = [dict(type='AccMetric')]
test_evaluator = val_evaluator

# Kinetics-400 (400 classes), 2D HRNet skeletons at PYSKL's path data/k400/k400_hrnet.pkl (splits 'train' / 'val'),
# with ProtoGCN's 2D recipe (./skeleton_2d_protogcn.py) and its K400 settings: 64 samples per GPU, box_thr 0.5,
# valid_ratio 0 (so no sample is filtered; PYSKL's semantics), and DecompressPose first in every pipeline.
# PYSKL's released k400_hrnet.pkl lists skeleton instances (frame_inds, box_score) and keeps their keypoints in
# kpfiles (`raw_file`, e.g. data/k400/kpfiles/...; a relative path is looked up from the working directory, then
# from the annotation file's folder): PoseDataset reads them when a sample is loaded and DecompressPose turns them
# into (M, T, 17, 2) + keypoint_score as PYSKL does (docs/data_preparation.md). PYSKL served the kpfiles from
# memcached; `memcached` is accepted and ignored.
_base_ = ['./skeleton_2d_protogcn.py']

ann_file = 'data/k400/k400_hrnet.pkl'
num_classes = 400
train_split, val_split = 'train', 'val'
box_thr, valid_ratio = 0.5, 0.0

# the 2D recipe's pipelines, each after DecompressPose (mmengine replaces lists whole, so they are spelled out)
decompress = dict(type='DecompressPose', squeeze=True, max_person=10)
train_pipeline = [
    decompress,
    dict(type='UniformSampleFrames', clip_len=100),
    dict(type='PoseDecode'),
    dict(type='Flip', flip_ratio=0.5, layout='coco'),
    dict(type='Kinetics_Transform'),
    dict(type='GenSkeFeat', dataset='coco_new', feats=['j']),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
val_pipeline = [
    decompress,
    dict(type='UniformSampleFrames', clip_len=100, num_clips=1),
    dict(type='PoseDecode'),
    dict(type='Kinetics_Transform'),
    dict(type='GenSkeFeat', dataset='coco_new', feats=['j']),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]
test_pipeline = [dict(val_pipeline[1], num_clips=10) if i == 1 else t for i, t in enumerate(val_pipeline)]

# mmengine resolves a base's variables when it parses the base: set the nested dataset fields here, once.
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        dataset=dict(
            ann_file=ann_file,
            split=train_split,
            num_classes=num_classes,
            box_thr=box_thr,
            valid_ratio=valid_ratio,
            pipeline=train_pipeline,
        )
    ),
)
val_dataloader = dict(
    batch_size=64,
    dataset=dict(ann_file=ann_file, split=val_split, num_classes=num_classes, box_thr=box_thr, pipeline=val_pipeline),
)
test_dataloader = dict(
    dataset=dict(ann_file=ann_file, split=val_split, num_classes=num_classes, box_thr=box_thr, pipeline=test_pipeline)
)

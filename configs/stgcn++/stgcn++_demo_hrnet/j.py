# ST-GCN++ on the embedded SYNTHETIC demo data in the 2D HRNet format
# (tools/data/make_demo_data.py --kind 2d --out data/demo/demo_hrnet.pkl): the 10 synthetic actions of the
# 3D demo seen by a pinhole colour camera as 17 COCO joints in pixels of a 1920x1080 image, with scores;
# split by subject. The NTU60-XSub HRNet recipe made CPU-sized like ../stgcn++_demo_3dkp: half the channels,
# 50-frame clips, 8 epochs without dataset repetition. A model trained here runs in the video demo
# (demo/demo_skeleton.py), which feeds it MediaPipe COCO-17 poses; being trained on synthetic motion, its
# predictions on real videos are illustrative only. Real data: use
# configs/stgcn++/stgcn++_ntu60_xsub_hrnet/j.py with data/nturgbd/ntu60_hrnet.pkl.
_base_ = ['../stgcn++_ntu60_xsub_hrnet/j.py']

ann_file = 'data/demo/demo_hrnet.pkl'
num_classes = 10
clip_len = 50
max_epochs = 8


def _pipeline(num_clips):
    return [
        dict(type='PreNormalize2D'),
        dict(type='GenSkeFeat', dataset='coco', feats=['j']),
        dict(type='UniformSampleFrames', clip_len=clip_len, num_clips=num_clips),
        dict(type='PoseDecode'),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ]


train_pipeline = _pipeline(1)
val_pipeline = _pipeline(1)
test_pipeline = _pipeline(10)

model = dict(backbone=dict(base_channels=32), cls_head=dict(num_classes=num_classes, in_channels=128))
train_dataloader = dict(
    batch_size=16,
    dataset=dict(times=1, dataset=dict(ann_file=ann_file, num_classes=num_classes, pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=16, dataset=dict(ann_file=ann_file, num_classes=num_classes, pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=8, dataset=dict(ann_file=ann_file, num_classes=num_classes, pipeline=test_pipeline))

train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0, T_max=max_epochs, by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=1, max_keep_ckpts=1))

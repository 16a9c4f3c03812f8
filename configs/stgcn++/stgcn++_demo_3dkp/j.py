# ST-GCN++ on the embedded SYNTHETIC demo data (tools/data/make_demo_data.py): 10 kinematically animated
# actions in the NTU RGB+D 3D format, split by subject. Same recipe as the NTU60-XSub config, made CPU-sized:
# half the channels, a short schedule, no dataset repetition. Real data: use
# configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py with data/nturgbd/ntu60_3danno.pkl.
_base_ = ['../stgcn++_ntu60_xsub_3dkp/j.py']

ann_file = 'data/demo/demo_3danno.pkl'
num_classes = 10
max_epochs = 6

model = dict(backbone=dict(base_channels=32), cls_head=dict(num_classes=num_classes, in_channels=128))
train_dataloader = dict(
    batch_size=16, num_workers=2,
    dataset=dict(times=1, dataset=dict(ann_file=ann_file, num_classes=num_classes)))
val_dataloader = dict(batch_size=16, dataset=dict(ann_file=ann_file, num_classes=num_classes))
test_dataloader = dict(batch_size=4, dataset=dict(ann_file=ann_file, num_classes=num_classes))

train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0, T_max=max_epochs, by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=1, max_keep_ckpts=1))

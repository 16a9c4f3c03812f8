# ST-GCN++ on the embedded SYNTHETIC demo data in the 2D HRNet format
# (tools/data/make_demo_data.py --kind 2d --out data/demo/demo_hrnet.pkl): the 10 synthetic actions of the
# 3D demo seen by a pinhole colour camera as 17 COCO joints in pixels of a 1920x1080 image, with scores;
# split by subject. The NTU60-XSub HRNet recipe made CPU-sized like ../stgcn++_demo_3dkp: half the channels,
# 50-frame clips, 8 epochs without dataset repetition. A model trained here runs in the video demo
# (demo/demo_skeleton.py), which feeds it MediaPipe COCO-17 poses; being trained on synthetic motion, its
# predictions on real videos are illustrative only. Real data: use
# configs/stgcn++/stgcn++_ntu60_xsub_hrnet/j.py with data/nturgbd/ntu60_hrnet.pkl.
_base_ = ['../stgcn++_ntu60_xsub_hrnet/j.py']

# top-level facts: every dataset, pipeline and the model follow them (resolve_leaf below)
ann_file = 'data/demo/demo_hrnet.pkl'
num_classes = 10
label_map = 'tools/data/label_map/demo.txt'
clip_len = 50

model = dict(backbone=dict(base_channels=32), cls_head=dict(in_channels=128))
train_dataloader = dict(batch_size=16, dataset=dict(times=1))
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=8)
train_cfg = dict(max_epochs=8)  # the cosine schedule follows it (CosineToEndLR)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=1, max_keep_ckpts=1))

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

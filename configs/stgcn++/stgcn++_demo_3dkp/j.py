# ST-GCN++ on the embedded SYNTHETIC demo data (tools/data/make_demo_data.py): 10 kinematically animated
# actions in the NTU RGB+D 3D format, split by subject. The NTU60-XSub recipe made CPU-sized: a quarter of
# the channels (16), 30-frame clips, 8 epochs without dataset repetition (about 2 minutes on 2 CPU cores, see
# the README). Real data: use configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py with data/nturgbd/ntu60_3danno.pkl.
_base_ = ['../stgcn++_ntu60_xsub_3dkp/j.py']

# top-level facts: every dataset, pipeline and the model follow them (resolve_leaf below)
ann_file = 'data/demo/demo_3danno.pkl'
num_classes = 10
label_map = 'tools/data/label_map/demo.txt'
clip_len = 30

model = dict(backbone=dict(base_channels=16), cls_head=dict(in_channels=64))
train_dataloader = dict(batch_size=16, dataset=dict(times=1))
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=8)
train_cfg = dict(max_epochs=8)  # the cosine schedule follows it (CosineToEndLR)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=1, max_keep_ckpts=1))

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

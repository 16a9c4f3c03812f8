_base_ = ['./j.py', '../../_base_/datasets/skeleton_3d_protogcn_partdrop.py']  # the original's Part_Drop
feats = ['k']  # K-bone: joint minus its grandparent
model = dict(backbone=dict(num_prototype=100), cls_head=dict(weight=0.1))
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=_base_.protogcn_partdrop_train)))

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

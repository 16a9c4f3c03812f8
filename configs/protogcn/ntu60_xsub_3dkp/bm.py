_base_ = ['./j.py', '../../_base_/datasets/skeleton_3d_protogcn_flip.py']  # the original's Spatial_Flip
feats = ['bm']  # bone motion
model = dict(backbone=dict(num_prototype=100), cls_head=dict(weight=0.3))
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=_base_.protogcn_flip_train)))

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

_base_ = ['./j.py']  # with j.py's Spatial_Flip, as the original
feats = ['b']  # bone
model = dict(backbone=dict(num_prototype=100), cls_head=dict(weight=0.3))

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

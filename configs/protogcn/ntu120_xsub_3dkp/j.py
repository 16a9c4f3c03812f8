# ProtoGCN, NTU RGB+D 120 XSub, 3D skeleton, joint modality
# (jm.py changes only `feats`; b.py / bm.py also use 100 prototypes and contrastive weight 0.3, k.py / km.py
# 100 and 0.1; Spatial_Flip / Part_Drop where the original's leaves use them: docs/model_zoo.md, ProtoGCN).
# The original's recipe: DG-STGCN's augmentation (no spine alignment, random rotation, UniformSampleDecode) and
# 150 epochs of one pass each (SGD lr 0.1 for a total batch of 64, cosine per iteration).
_base_ = [
    '../../_base_/models/protogcn.py',
    '../../_base_/datasets/ntu120_xsub_3dkp_dgstgcn.py',
    '../../_base_/datasets/skeleton_3d_protogcn_flip.py',
    '../../_base_/schedules/sgd_cosine_150e.py',
    '../../_base_/default_runtime.py',
]
train_pipeline = _base_.protogcn_flip_train  # the original adds Spatial_Flip for j / jm
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

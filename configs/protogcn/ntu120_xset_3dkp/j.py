# ProtoGCN, NTU RGB+D 120 XSet, 3D skeleton, joint modality
# (jm.py changes only `feats`; b.py / bm.py also use 100 prototypes and contrastive weight 0.3, k.py / km.py
# 100 and 0.1; Spatial_Flip / Part_Drop where the original's leaves use them: docs/model_zoo.md, ProtoGCN).
# The original's recipe: DG-STGCN's augmentation (no spine alignment, random rotation, UniformSampleDecode) and
# 150 epochs of one pass each (SGD lr 0.1 for a total batch of 64, cosine per iteration).
_base_ = [
    '../../_base_/models/protogcn.py',
    '../../_base_/datasets/ntu120_xset_3dkp_dgstgcn.py',
    '../../_base_/schedules/sgd_cosine_150e.py',
    '../../_base_/default_runtime.py',
]

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

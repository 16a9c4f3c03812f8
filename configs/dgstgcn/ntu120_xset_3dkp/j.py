# DG-STGCN, NTU RGB+D 120 XSet, 3D skeleton, joint modality
# (b.py / jm.py / bm.py change only `feats`).
# PYSKL's DG-STGCN recipe: its own augmentation (no spine alignment, random rotation, UniformSampleDecode)
# and 150 epochs of one pass each (SGD lr 0.1, cosine per iteration).
_base_ = [
    '../../_base_/models/dgstgcn.py',
    '../../_base_/datasets/ntu120_xset_3dkp_dgstgcn.py',
    '../../_base_/schedules/sgd_cosine_150e.py',
    '../../_base_/default_runtime.py',
]

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

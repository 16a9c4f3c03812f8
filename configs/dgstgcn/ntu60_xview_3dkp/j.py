# DG-STGCN, NTU RGB+D 60 XView, 3D skeleton, joint modality
# (b.py / jm.py / bm.py change only `feats`).
# PYSKL's DG-STGCN recipe: its own augmentation (no spine alignment, random rotation, UniformSampleDecode)
# and 150 epochs of one pass each (SGD lr 0.1, cosine per iteration).
_base_ = [
    '../../_base_/models/dgstgcn.py',
    '../../_base_/datasets/ntu60_xview_3dkp.py',
    '../../_base_/datasets/skeleton_3d_dgstgcn.py',
    '../../_base_/schedules/sgd_cosine_150e.py',
    '../../_base_/default_runtime.py',
]

train_pipeline = _base_.dgstgcn_pipelines.train
val_pipeline = _base_.dgstgcn_pipelines.val
test_pipeline = _base_.dgstgcn_pipelines.test
# one pass per epoch (PYSKL's DG-STGCN configs have no RepeatDataset)
train_dataloader = dict(dataset=dict(times=1, dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

from pyskl.core.config import resolve_leaf  # noqa: E402
resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

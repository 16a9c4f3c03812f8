# NTU RGB+D 60 XView, 3D skeletons (./ntu60_xview_3dkp.py) with DG-STGCN's data recipe (./skeleton_3d_dgstgcn.py):
# no spine alignment, random rotation, UniformSampleDecode, one pass per epoch. The DG-STGCN and ProtoGCN
# leaves list this file as their dataset base, like any other leaf. (mmengine forbids two sibling bases that
# both set `train_dataloader`, so the benchmark and the recipe are joined here, once per benchmark.)
_base_ = ['./ntu60_xview_3dkp.py', './skeleton_3d_dgstgcn.py']

train_pipeline = _base_.dgstgcn_pipelines.train
val_pipeline = _base_.dgstgcn_pipelines.val
test_pipeline = _base_.dgstgcn_pipelines.test
# one pass per epoch (PYSKL's DG-STGCN configs and ProtoGCN's have no RepeatDataset)
train_dataloader = dict(dataset=dict(times=1, dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

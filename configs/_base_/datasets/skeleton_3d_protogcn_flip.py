# ProtoGCN's Spatial_Flip for NTU 3D skeletons (p 0.5: the left / right limbs swap places, coordinates are not
# mirrored), as the original's leaves use it: DG-STGCN's training pipeline (./skeleton_3d_dgstgcn.py) with
# Spatial_Flip after RandomRot. Only the pipeline, under one key; a ProtoGCN leaf lists this file next to its
# other bases and plugs the pipeline into its training dataloader. GenSkeFeat's feats / layout and Spatial_Flip's
# layout are left out on purpose: the leaf's resolve_leaf(globals()) fills them from the top-level facts (a base
# pipeline that names feats=['j'] could not be reused by a b / k leaf).
protogcn_flip_train = [
    dict(type='PreNormalize3D', align_spine=False),
    dict(type='RandomRot', theta=0.2),
    dict(type='Spatial_Flip', p=0.5),
    dict(type='GenSkeFeat'),
    dict(type='UniformSampleDecode', clip_len=100),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]

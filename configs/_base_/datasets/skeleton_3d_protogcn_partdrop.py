# ProtoGCN's Part_Drop for NTU 3D skeletons (p 0.2: one of four NTU limbs is zeroed), as the original's leaves use
# it: DG-STGCN's training pipeline (./skeleton_3d_dgstgcn.py) with Part_Drop after RandomRot. Only the pipeline,
# under one key; a ProtoGCN leaf lists this file next to its other bases and plugs the pipeline into its training
# dataloader. GenSkeFeat's feats / layout are left out on purpose: the leaf's resolve_leaf(globals()) fills them
# from the top-level facts (a base pipeline that names feats=['j'] could not be reused by a b / k leaf).
protogcn_partdrop_train = [
    dict(type='PreNormalize3D', align_spine=False),
    dict(type='RandomRot', theta=0.2),
    dict(type='Part_Drop', p=0.2),
    dict(type='GenSkeFeat'),
    dict(type='UniformSampleDecode', clip_len=100),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackSkeletonInputs'),
]

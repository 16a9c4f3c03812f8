# DG-STGCN's data recipe for 3D skeletons (PYSKL's DG-STGCN configs): no spine alignment, random rotation
# (theta 0.2) for training, UniformSampleDecode (100 frames; 1 val clip, 10 test clips), num_person 2.
# Only the pipelines, under one key: a DG-STGCN leaf lists this file next to a per-dataset base such as
# ./ntu60_xsub_3dkp.py and plugs them into that base's dataloaders (mmengine forbids two bases that
# both set `train_dataloader`, so the plugging is three lines in the leaf).
# GenSkeFeat's feats / layout and the samplers' clip_len are the 3D defaults (['j'], 'nturgb+d', 100); the
# leaf's resolve_leaf(globals()) makes them follow the top-level facts.
dgstgcn_pipelines = dict(
    train=[
        dict(type='PreNormalize3D', align_spine=False),
        dict(type='RandomRot', theta=0.2),
        dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
        dict(type='UniformSampleDecode', clip_len=100),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ],
    val=[
        dict(type='PreNormalize3D', align_spine=False),
        dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
        dict(type='UniformSampleDecode', clip_len=100, num_clips=1),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ],
    test=[
        dict(type='PreNormalize3D', align_spine=False),
        dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
        dict(type='UniformSampleDecode', clip_len=100, num_clips=10),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackSkeletonInputs'),
    ],
)

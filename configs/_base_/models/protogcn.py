# ProtoGCN (Liu et al., CVPR 2025): DG-STGCN-style blocks (96/192/384 channels, learned affinities of 8 groups
# initialised from a random graph) plus a prototype-reconstructed graph branch that feeds the head's
# class-specific contrastive loss (weight 0.2 for j / jm, 0.3 for b / bm, 0.1 for k / km; 400 prototypes for j /
# jm, 100 for the others). Registered names and keys as the original's configs, so its checkpoints load without
# conversion. graph_cfg.layout and cls_head.num_classes are left out: they follow the dataset base's top-level
# `layout` and `num_classes` (filled in by the leaf's resolve_leaf(globals()); in_channels follows `feats`).
# cls_head.joint_cfg names the layout of the graph vector; it follows the top-level `layout` too.
model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='ProtoGCN',
        num_prototype=400,
        tcn_ms_cfg=[(3, 1), (3, 2), (3, 3), (3, 4), ('max', 3), '1x1'],
        graph_cfg=dict(mode='random', num_filter=8, init_off=0.04, init_std=0.02),
    ),
    cls_head=dict(type='SimpleHead', joint_cfg='nturgb+d', in_channels=384, weight=0.2),
)

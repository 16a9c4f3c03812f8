# Kinetics-400 (400 classes), 2D HRNet skeletons at PYSKL's path data/k400/k400_hrnet.pkl (splits 'train' / 'val'),
# with ProtoGCN's 2D recipe (./skeleton_2d_protogcn.py) and its K400 settings: 64 samples per GPU, box_thr 0.5,
# valid_ratio 0 (so no sample is filtered; PYSKL's semantics).
# The samples must hold their keypoints inline (keypoint (M, T, 17, 2) + keypoint_score, as
# tools/data/extract_2d_skeleton.py writes them). PYSKL's released k400_hrnet.pkl keeps them compressed in separate
# kpfiles (`raw_file`) that its `DecompressPose` transform reads: pyskl has no such transform yet, so that file
# is refused by PoseDataset's checks (docs/model_zoo.md, ProtoGCN).
_base_ = ['./skeleton_2d_protogcn.py']

ann_file = 'data/k400/k400_hrnet.pkl'
num_classes = 400
train_split, val_split = 'train', 'val'
box_thr, valid_ratio = 0.5, 0.0

# mmengine resolves a base's variables when it parses the base: set the nested dataset fields here, once.
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        dataset=dict(
            ann_file=ann_file, split=train_split, num_classes=num_classes, box_thr=box_thr, valid_ratio=valid_ratio
        )
    ),
)
val_dataloader = dict(
    batch_size=64, dataset=dict(ann_file=ann_file, split=val_split, num_classes=num_classes, box_thr=box_thr)
)
test_dataloader = dict(dataset=dict(ann_file=ann_file, split=val_split, num_classes=num_classes, box_thr=box_thr))

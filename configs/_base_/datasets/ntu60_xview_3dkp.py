# NTU RGB+D 60, cross-view benchmark, 3D Kinect skeletons (PYSKL's ntu60_3danno.pkl).
# The data recipe is in ./skeleton_3d.py; this file names the annotation file, the splits and the class
# count. The model's cls_head.num_classes and graph_cfg.layout follow the top-level `num_classes` and
# `layout` (filled in by the leaf's resolve_leaf(globals())), so model bases need not restate them.
_base_ = ['./skeleton_3d.py']

ann_file = 'data/nturgbd/ntu60_3danno.pkl'
num_classes = 60
label_map = 'tools/data/label_map/nturgbd_60.txt'  # class names, stored in checkpoints (relative to the repo root)
train_split, val_split = 'xview_train', 'xview_val'

# mmengine resolves a base's variables when it parses the base: set the nested dataset fields here, once.
train_dataloader = dict(dataset=dict(dataset=dict(ann_file=ann_file, split=train_split, num_classes=num_classes)))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split=val_split, num_classes=num_classes))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split=val_split, num_classes=num_classes))

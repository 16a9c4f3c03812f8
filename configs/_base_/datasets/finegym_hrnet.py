# FineGYM (99 classes), 2D HRNet skeletons (PYSKL's gym_hrnet.pkl, splits 'train' / 'val').
# The data recipe is ProtoGCN's 2D one, in ./skeleton_2d_protogcn.py; this file names the annotation file, the
# splits and the class count.
_base_ = ['./skeleton_2d_protogcn.py']

ann_file = 'data/gym/gym_hrnet.pkl'
num_classes = 99
train_split, val_split = 'train', 'val'

# mmengine resolves a base's variables when it parses the base: set the nested dataset fields here, once.
train_dataloader = dict(dataset=dict(dataset=dict(ann_file=ann_file, split=train_split, num_classes=num_classes)))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split=val_split, num_classes=num_classes))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split=val_split, num_classes=num_classes))

# ProtoGCN, Kinetics-400 (400 classes), 2D HRNet skeletons in ProtoGCN's 20-joint 'coco_new' layout, joint modality
# (the original's configs/k400/j.py; jm.py changes only `feats`; b.py / bm.py also use 100 prototypes and
# contrastive weight 0.3, k.py / km.py 100 and 0.1): 400 prototypes, contrastive weight 0.2, 150 epochs of one pass
# each (SGD lr 0.1 for 64 samples per GPU, cosine per iteration). Data recipe: ../../_base_/datasets/k400_hrnet.py
# (PYSKL's compressed K400 format: kpfiles read by PoseDataset, DecompressPose first in every pipeline).
_base_ = [
    '../../_base_/models/protogcn.py',
    '../../_base_/datasets/k400_hrnet.py',
    '../../_base_/schedules/sgd_cosine_150e.py',
    '../../_base_/default_runtime.py',
]
# the head's graph vector has 20 x 20 entries (the model base names the NTU layout)
model = dict(cls_head=dict(joint_cfg='coco_new'))

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

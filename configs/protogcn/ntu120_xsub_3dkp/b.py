_base_ = ['./j.py']
feats = ['b']  # bone
model = dict(backbone=dict(num_prototype=100), cls_head=dict(weight=0.3))

_base_ = ['./j.py']
feats = ['b']  # bone

_base_ = ['./j.py']
feats = ['bm']  # bone motion

_base_ = ['./j.py']
feats = ['bm']

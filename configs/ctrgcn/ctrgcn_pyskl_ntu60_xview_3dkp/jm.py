_base_ = ['./j.py']
feats = ['jm']  # joint motion

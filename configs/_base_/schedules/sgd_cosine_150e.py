# DG-STGCN's schedule (PYSKL): the SGD recipe of ./sgd_cosine_16e.py (lr 0.1, momentum 0.9, nesterov,
# weight decay 5e-4, per-iteration cosine to 0 over the whole training) over 150 epochs of one pass each (the
# DG-STGCN leaves set RepeatDataset times=1). PYSKL's config notes 4 GPUs x 16 for lr 0.1: --auto-scale-lr
# scales from 64.
_base_ = ['./sgd_cosine_16e.py']

train_cfg = dict(max_epochs=150)
auto_scale_lr = dict(base_batch_size=64)

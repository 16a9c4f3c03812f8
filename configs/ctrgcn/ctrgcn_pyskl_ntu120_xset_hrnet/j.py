# CTR-GCN, NTU RGB+D 120 XSet, HRNet 2D skeleton, joint modality
# (b.py / jm.py / bm.py change only `feats`).
_base_ = [
    '../../_base_/models/ctrgcn.py',
    '../../_base_/datasets/ntu120_xset_hrnet.py',
    '../../_base_/schedules/sgd_cosine_16e.py',
    '../../_base_/default_runtime.py',
]

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

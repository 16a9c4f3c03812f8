# ST-GCN (PYSKL re-implementation), NTU RGB+D 60 XView, HRNet 2D skeleton, joint modality
# (b.py / jm.py / bm.py change only `feats`).
_base_ = [
    '../../_base_/models/stgcn.py',
    '../../_base_/datasets/ntu60_xview_hrnet.py',
    '../../_base_/schedules/sgd_cosine_16e.py',
    '../../_base_/default_runtime.py',
]

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

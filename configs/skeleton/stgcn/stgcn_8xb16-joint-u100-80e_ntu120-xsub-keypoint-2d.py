# MMAction2's model-zoo name: NTU120 XSub 2D, joint; 8 GPUs x 16 samples,
# uniform 100 frames, 16 epochs x RepeatDataset(5) ("80e").
# The same model and recipe as configs/stgcn/stgcn_pyskl_ntu120_xsub_hrnet/j.py.
_base_ = [
    '../../_base_/models/stgcn.py',
    '../../_base_/datasets/ntu120_xsub_hrnet.py',
    '../../_base_/schedules/sgd_cosine_16e.py',
    '../../_base_/default_runtime.py',
]
feats = ['j']

from pyskl.core.config import resolve_leaf  # noqa: E402
resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

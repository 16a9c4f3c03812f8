# MMAction2's model-zoo name: NTU60 XSub 3D, joint-motion; 8 GPUs x 16 samples,
# uniform 100 frames, 16 epochs x RepeatDataset(5) ("80e").
# The same model and recipe as configs/stgcn/stgcn_pyskl_ntu60_xsub_3dkp/jm.py;
# it inherits that leaf and changes nothing, so the two cannot drift apart.
_base_ = ['../../stgcn/stgcn_pyskl_ntu60_xsub_3dkp/jm.py']

from pyskl.core.config import resolve_leaf  # noqa: E402

resolve_leaf(globals())  # the top-level facts reach every place (docs/config.md)

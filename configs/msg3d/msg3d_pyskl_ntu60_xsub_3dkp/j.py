_base_ = [
    '../../_base_/models/msg3d.py',
    '../../_base_/datasets/ntu60_xsub_3dkp.py',
    '../../_base_/schedules/sgd_cosine_16e.py',
    '../../_base_/default_runtime.py',
]

# Runtime shared by every pyskl config: runner, hooks, logging, visualisation, randomness.
default_scope = 'pyskl'
runner_type = 'PysklRunner'  # weights_only-safe checkpoints, CPU (gloo) DDP

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # crash-safe: atomic writes, latest.pth, deletes old/best files only after the new one is complete and
    # only files this run wrote (PysklRunner also turns a plain CheckpointHook into this one)
    checkpoint=dict(type='SafeCheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
)

custom_hooks = [
    # checkpoints hold only tensors / builtins: torch.load(weights_only=True) reads them
    dict(type='WeightsOnlyCheckpointHook'),
    # progress bar on rank 0 during val / test
    dict(type='EvalProgressBarHook'),
]

env_cfg = dict(
    # torch's CPU threads: None = OMP_NUM_THREADS if set, else the cores / processes on this node. CPU results
    # depend on it: the same seed and thread count on the same machine reproduce a run exactly.
    num_threads=None,
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)  # gloo is used automatically when CUDA is absent

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False

# seed=None: a random seed is drawn (and saved in checkpoints); tools/train.py --seed sets it.
randomness = dict(seed=None, diff_rank_seed=False, deterministic=False)

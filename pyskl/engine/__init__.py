"""Runner glue: weights_only-safe checkpoints, CPU/gloo distributed launch, hooks."""

from .checkpoint import PysklPretrainedInit, resolve_checkpoint_path, restore_history_buffers, to_weights_only
from .checkpoint_hook import SafeCheckpointHook, WeightsOnlyCheckpointHook, find_resume_checkpoint
from .dist import finish_dist, init_dist_env
from .hooks import EvalProgressBarHook
from .optim import CPUBF16OptimWrapper
from .runner import PysklRunner
from .schedulers import CosineToEndLR

__all__ = [
    'WeightsOnlyCheckpointHook',
    'to_weights_only',
    'restore_history_buffers',
    'init_dist_env',
    'finish_dist',
    'EvalProgressBarHook',
    'CPUBF16OptimWrapper',
    'PysklRunner',
    'resolve_checkpoint_path',
    'CosineToEndLR',
    'SafeCheckpointHook',
    'find_resume_checkpoint',
    'PysklPretrainedInit',
]

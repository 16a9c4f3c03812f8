"""Throughput of a config's model and data pipeline (the library behind ``pyskl benchmark`` /
``tools/analysis/benchmark.py``, which print the table).

Three figures, each in samples per second:

- ``train``: full training steps (``model.train_step``: preprocessing, forward, loss, backward,
  optimizer step) on a batch of the training pipeline's output;
- ``inference``: ``model.test_step`` under ``torch.no_grad`` on a batch of the test pipeline's output
  (all its clips, e.g. 10 per sample for the NTU test pipelines);
- ``data``: the training pipeline of one worker process (``dataset[key]`` in the calling process), so
  ``num_workers`` workers deliver about ``num_workers`` times as much.

Each timed loop runs ``warmup`` untimed iterations first; on CUDA the device is synchronised before
reading the clock. With ``amp``, training uses the AMP optimizer wrapper of ``tools/train.py --amp``
(float16 on CUDA, bfloat16 autocast on CPU) and inference runs under the same autocast. ``compile`` wraps the
backbone in :func:`torch.compile` (the compilation happens in the untimed warm-up iterations), and
``cudnn_benchmark`` sets ``torch.backends.cudnn.benchmark``.

The achieved arithmetic rate is reported too: the model's multiply-adds per sample (counted as
:mod:`pyskl.apis.complexity` counts them, normalisation layers left out) times samples/s, as TFLOP/s with
one multiply-add counted as 2 FLOPs; a training step is counted as 3 forward passes (forward, and the
backward's two products per layer).
"""

import time
from typing import Optional

__all__ = ['benchmark_config']


def _sync(device: str) -> None:
    import torch

    if device.startswith('cuda'):
        torch.cuda.synchronize(device)


def _batch(dataset, batch_size: int, offset: int = 0):
    """``pseudo_collate`` of ``batch_size`` samples (the dataset is cycled if it is smaller)."""
    from mmengine.dataset import pseudo_collate

    n = len(dataset)
    return pseudo_collate([dataset[(offset + i) % n] for i in range(batch_size)])


def _timed(fn, iters: int, warmup: int, device: str) -> float:
    """Seconds per call of ``fn`` over ``iters`` timed calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    _sync(device)
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    _sync(device)
    return (time.perf_counter() - start) / iters


def benchmark_config(
    config: str,
    batch_size: Optional[int] = None,
    iters: int = 10,
    warmup: int = 2,
    device: str = 'cpu',
    amp: bool = False,
    data_iters: Optional[int] = None,
    cfg_options: Optional[dict] = None,
    compile: bool = False,
    cudnn_benchmark: bool = False,
) -> dict:
    """Measure training, inference and data pipeline throughput of ``config``.

    Args:
        config (str): config file.
        batch_size (int, optional): samples per step; default ``train_dataloader.batch_size``.
        iters (int): timed iterations of each model loop (>= 1).
        warmup (int): untimed iterations before each loop (>= 0).
        device (str): ``'cpu'`` or ``'cuda'`` (``'cuda:N'``).
        amp (bool): mixed precision (see the module docstring).
        data_iters (int, optional): samples timed through the training pipeline; default
            ``iters * batch_size``.
        cfg_options (dict, optional): config overrides.
        compile (bool): ``torch.compile`` the backbone.
        cudnn_benchmark (bool): ``torch.backends.cudnn.benchmark = True`` (CUDA).

    Returns:
        dict: ``train``, ``inference``, ``data`` (samples/s), ``batch_size``, ``device``, ``amp``, ``compile``,
        ``input_shape`` (one training sample, ``(num_clips, M, T, V, C)``), ``test_input_shape``,
        ``flops_per_clip`` (multiply-adds of one clip's forward pass), ``train_tflops`` and ``inference_tflops``
        (achieved TFLOP/s, see the module docstring).
    """
    import torch
    from mmengine.optim import build_optim_wrapper

    from pyskl.apis.inference import check_device
    from pyskl.apis.train import enable_amp
    from pyskl.registry import build_in_pyskl_scope
    from pyskl.registry import DATASETS, MODELS
    from pyskl.core.config import load_config
    from pyskl.registry import register_all_modules

    if iters < 1 or warmup < 0:
        raise ValueError(f'iters must be >= 1 and warmup >= 0, got iters={iters}, warmup={warmup}')
    check_device(device)
    register_all_modules()
    cfg = load_config(config, cfg_options)
    batch_size = int(batch_size or cfg.train_dataloader.batch_size)
    if batch_size < 1:
        raise ValueError(f'batch size must be >= 1, got {batch_size}')

    train_set = build_in_pyskl_scope(DATASETS, cfg.train_dataloader.dataset)
    test_set = build_in_pyskl_scope(DATASETS, cfg.test_dataloader.dataset)

    # data pipeline: one worker
    data_iters = int(data_iters or iters * batch_size)
    n = len(train_set)
    for i in range(min(warmup, n)):
        train_set[i]
    start = time.perf_counter()
    for i in range(data_iters):
        train_set[i % n]
    data_rate = data_iters / (time.perf_counter() - start)

    from pyskl.apis.complexity import get_model_complexity

    model = build_in_pyskl_scope(MODELS, cfg.model)
    train_batch = _batch(train_set, batch_size)
    test_batch = _batch(test_set, batch_size)
    clip_shape = (1,) + tuple(train_batch['inputs'][0].shape[1:])
    flops_per_clip = get_model_complexity(model, clip_shape)['flops']
    model = model.to(device)
    if cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    if compile:
        model.backbone = torch.compile(model.backbone)
    if amp:
        enable_amp(cfg, cuda=device.startswith('cuda'))
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)

    model.train()
    train_time = _timed(lambda: model.train_step(train_batch, optim_wrapper), iters, warmup, device)

    model.eval()
    autocast_dtype = torch.float16 if device.startswith('cuda') else torch.bfloat16

    def infer():
        with torch.no_grad(), torch.autocast(device.split(':')[0], dtype=autocast_dtype, enabled=amp):
            model.test_step(test_batch)

    infer_time = _timed(infer, iters, warmup, device)
    train_clips = train_batch['inputs'][0].shape[0]
    test_clips = test_batch['inputs'][0].shape[0]
    train_rate, infer_rate = batch_size / train_time, batch_size / infer_time
    return dict(
        train=train_rate,
        inference=infer_rate,
        data=data_rate,
        batch_size=batch_size,
        device=device,
        amp=amp,
        compile=compile,
        input_shape=tuple(train_batch['inputs'][0].shape),
        test_input_shape=tuple(test_batch['inputs'][0].shape),
        flops_per_clip=flops_per_clip,
        train_tflops=3 * 2 * flops_per_clip * train_clips * train_rate / 1e12,
        inference_tflops=2 * flops_per_clip * test_clips * infer_rate / 1e12,
    )

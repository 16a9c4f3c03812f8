"""One measurement of :mod:`pyskl.apis.benchmark_compare`, run as a script in a fresh process.

This file is executed with ``runpy.run_path`` by a process whose ``import pyskl`` resolves to the revision
under test (``PYTHONPATH``), so it must use nothing of pyskl but what old revisions have too:
``pyskl.apis.init_recognizer`` for the model and, for the data pipeline only, ``pyskl.registry.DATASETS``,
``register_all_modules`` (from ``pyskl.registry``, or ``pyskl.utils`` in older revisions)
and ``pyskl.datasets.synthetic.make_demo_dataset`` (skipped when missing). It reads one JSON job from
``argv[1]`` and prints one JSON line prefixed with ``BENCH_RESULT``:

- ``eval_ms``: per-iteration times of ``model(x, mode='tensor')`` under ``torch.inference_mode`` (eval mode);
- ``train_ms``: per-iteration times of a training step: ``model(x, samples, mode='loss')`` (forward + the
  head's losses, summed), ``backward``, ``SGD.step``, ``zero_grad`` (train mode);
- ``train_peak_mb``: growth of the process's peak resident memory (``ru_maxrss``) over the training
  iterations, measured before any inference ran (so it is the training step's own peak, parameters and
  input excluded);
- ``data_per_s``: training-pipeline samples per second on a small synthetic annotation file (1 process);
- ``padded``: how many samples of the input have all-zero persons after the first;
- ``allocator``: the C allocator setting, as the revision's own tools make it (``pyskl.core.allocator``, where
  the revision has it; ``PYSKL_MALLOC=system`` in the environment keeps the system default in every process).

With ``job['amp']`` the model's forward passes (train and eval) run under CPU bfloat16 autocast, as ``--amp``
trains on CPU (the loss, backward and SGD step stay as autocast leaves them); ``eval_dtype`` lists the dtypes
of the eval outputs (``torch.bfloat16`` under autocast).

The input is a fixed random ``(N, M, T, V, C)`` tensor (``torch.Generator`` seeded 0) and random labels; with
``job['padded']`` that fraction of the samples (the first ones) has all-zero persons after the first, as the
pipeline pads a one-person sample.
"""

import json
import os
import resource
import sys
import tempfile
import time


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _model_job(job: dict) -> dict:
    import torch

    from pyskl.apis import init_recognizer

    torch.set_num_threads(job['threads'])
    model = init_recognizer(job['config'], cfg_options=job.get('cfg_options') or None)
    gen = torch.Generator().manual_seed(0)
    n, m, t, v, c = job['shape']
    x = torch.randn((n, m, t, v, c), generator=gen)
    x[: round(job.get('padded', 0) * n), 1:] = 0  # one-person samples, padded as the pipeline pads them
    num_classes = model.cls_head.num_classes
    samples = [dict(gt_label=int(y)) for y in torch.randint(num_classes, (n,), generator=gen)]
    optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    amp = bool(job.get('amp'))

    def train_step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp):
            losses = model(x, samples, mode='loss')  # loss_cls, and ProtoGCN's contrastive term
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        optim.step()
        optim.zero_grad()

    dtypes = set()

    def infer():
        with torch.inference_mode(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp):
            dtypes.add(str(model(x, mode='tensor').dtype))

    def timed(fn):
        for _ in range(job['warmup']):
            fn()
        times = []
        for _ in range(job['iters']):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1e3)
        return times

    model.train()
    rss0 = _maxrss_mb()
    train_ms = timed(train_step)
    peak = _maxrss_mb() - rss0
    model.eval()
    eval_ms = timed(infer)
    padded = int((x[:, 1:].reshape(n, -1) == 0).all(dim=1).sum()) if m > 1 else 0
    return dict(eval_ms=eval_ms, train_ms=train_ms, train_peak_mb=peak, eval_dtype=sorted(dtypes), padded=padded)


def _data_job(job: dict) -> dict:
    try:
        from pyskl.datasets.synthetic import make_demo_dataset
    except ImportError:
        return dict(data_per_s=None)
    from mmengine.config import Config

    from pyskl.registry import DATASETS

    try:
        from pyskl.registry import register_all_modules
    except ImportError:  # revisions before the layers (issue 11)
        from pyskl.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(job['config'])
    ds_cfg = cfg.train_dataloader.dataset
    while 'dataset' in ds_cfg:  # RepeatDataset
        ds_cfg = ds_cfg.dataset
    with tempfile.TemporaryDirectory() as tmp:
        ann = os.path.join(tmp, 'ann.pkl')
        make_demo_dataset(ann, num_subjects=2, samples_per_class_per_subject=1)
        ds_cfg = dict(ds_cfg, ann_file=ann, split='xsub_train')
        ds_cfg.setdefault('_scope_', 'pyskl')
        dataset = DATASETS.build(ds_cfg)
        size = len(dataset)
        for i in range(min(job['warmup'], size)):
            dataset[i]
        start = time.perf_counter()
        count = job['data_iters']
        for i in range(count):
            dataset[i % size]
        return dict(data_per_s=count / (time.perf_counter() - start))


def _tune_allocator() -> str:
    """The C allocator setting the revision's own tools use (``tune_allocator``); revisions before it ran on the
    system default."""
    try:
        from pyskl.core.allocator import tune_allocator
    except ImportError:
        return 'allocator: system default (this revision has no tune_allocator)'
    return tune_allocator()


def main(argv) -> None:
    job = json.loads(argv[1])
    allocator = _tune_allocator()
    out = _data_job(job) if job['kind'] == 'data' else _model_job(job)
    out['allocator'] = allocator
    print('BENCH_RESULT ' + json.dumps(out), flush=True)


if __name__ == '__main__':
    main(sys.argv)

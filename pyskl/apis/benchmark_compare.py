"""Time the current tree against a git revision, per backbone (``tools/analysis/benchmark.py --compare-rev``).

The revision is exported with ``git archive`` into a temporary folder. Every measurement runs in a fresh
Python process (``pyskl/apis/_benchmark_worker.py`` of the *current* tree, executed with the tree under test
first on ``PYTHONPATH``), alternating ``A B A B ...`` (A: the revision, B: the current tree) so that a shared
machine's load drifts over both alike. Each process builds the model from the config with
``pyskl.apis.init_recognizer`` (no annotation file needed, so old revisions work too) and times, on a fixed
random ``(N, M, T, V, C)`` input:

- ``eval``: the forward pass (backbone + head) under ``torch.inference_mode`` in eval mode;
- ``train``: forward + the head's loss (cross-entropy; ProtoGCN adds its contrastive term) + backward + an SGD
  step;
- ``mem``: the growth of the process's peak resident set over the training iterations (``ru_maxrss``),
  per sample;
- ``data``: training-pipeline samples/s in one process on a small synthetic annotation file (when the
  revision has ``pyskl.datasets.synthetic``).

Per process the median iteration is kept; the figure of a side is the median over its processes, and the
spread (max - min of the process medians, relative to their median) is reported as its noise.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Sequence

__all__ = ['BACKBONE_CONFIGS', 'BASELINE_REV', 'export_revision', 'run_worker', 'compare_revisions']

# the default baseline: main before the re-landed speed changes (its model code is within +-15 % of the original
# PYSKL's speed everywhere, issue 13), so ratios against it stand in for ratios against the original
BASELINE_REV = 'b58ce097c388b2b27c5139e7f0b589b3c1d9f274'

# NTU60-XSub 3D joint configs, one per backbone
BACKBONE_CONFIGS = {
    'ST-GCN': 'configs/stgcn/stgcn_pyskl_ntu60_xsub_3dkp/j.py',
    'ST-GCN++': 'configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py',
    'AAGCN': 'configs/aagcn/aagcn_pyskl_ntu60_xsub_3dkp/j.py',
    'MS-G3D': 'configs/msg3d/msg3d_pyskl_ntu60_xsub_3dkp/j.py',
    'DG-STGCN': 'configs/dgstgcn/ntu60_xsub_3dkp/j.py',
    'CTR-GCN': 'configs/ctrgcn/ctrgcn_pyskl_ntu60_xsub_3dkp/j.py',
    'ProtoGCN': 'configs/protogcn/ntu60_xsub_3dkp/j.py',
}

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), '_benchmark_worker.py')
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def export_revision(rev: str, dest: str, repo: str = REPO_ROOT) -> str:
    """Write the tree of git revision ``rev`` of ``repo`` into ``dest`` (``git archive | tar``); returns
    the full commit hash. Raises ``ValueError`` naming ``rev`` when git does not know it."""
    res = subprocess.run(
        ['git', '-C', repo, 'rev-parse', '--verify', f'{rev}^{{commit}}'], capture_output=True, text=True
    )
    if res.returncode != 0:
        raise ValueError(f'git revision {rev!r} not found in {repo}: {res.stderr.strip()}')
    commit = res.stdout.strip()
    os.makedirs(dest, exist_ok=True)
    archive = subprocess.run(['git', '-C', repo, 'archive', '--format=tar', commit], capture_output=True, check=True)
    subprocess.run(['tar', '-x', '-C', dest], input=archive.stdout, check=True)
    return commit


def run_worker(tree: str, job: dict, python: str = sys.executable, timeout: Optional[float] = None) -> dict:
    """Run one measurement ``job`` (see ``_benchmark_worker.py``) in a fresh process on ``tree``'s pyskl."""
    env = dict(os.environ)
    env['PYTHONPATH'] = tree + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
    env['OMP_NUM_THREADS'] = str(job['threads'])
    code = f'import runpy; runpy.run_path({WORKER!r}, run_name="__main__")'
    res = subprocess.run(
        [python, '-c', code, json.dumps(job)], cwd=tree, env=env, capture_output=True, text=True, timeout=timeout
    )
    for line in res.stdout.splitlines():
        if line.startswith('BENCH_RESULT '):
            return json.loads(line[len('BENCH_RESULT ') :])
    raise RuntimeError(
        f'benchmark worker failed on {tree} for {job["config"]} (exit {res.returncode}):\n{res.stderr[-3000:]}'
    )


def _summary(values: List[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return dict(median=None, noise=None)
    med = statistics.median(values)
    return dict(median=med, noise=(max(values) - min(values)) / med if med else 0.0)


def compare_revisions(
    rev: str = BASELINE_REV,
    backbones: Optional[Sequence[str]] = None,
    reps: int = 3,
    iters: int = 3,
    warmup: int = 3,
    threads: int = 2,
    shape: Sequence[int] = (8, 2, 100, 25, 3),
    cfg_options: Optional[dict] = None,
    data_iters: int = 50,
    repo: str = REPO_ROOT,
    tree: str = REPO_ROOT,
    configs: Optional[Dict[str, str]] = None,
    log=None,
    amp: bool = False,
    padded: float = 0.0,
) -> dict:
    """Measure ``tree`` (B, default: this checkout) against git revision ``rev`` of ``repo`` (A).

    Args:
        rev (str): git revision of the baseline (default :data:`BASELINE_REV`).
        backbones (sequence[str] | None): keys of ``configs`` (default all).
        reps (int): processes per side and backbone (each a fresh process, alternating A B A B).
        iters (int): timed iterations per process (after ``warmup`` untimed ones).
        warmup (int): untimed iterations before each timed loop (default 3): a fresh process's first two
            training steps run 1.5-2x slower (oneDNN's kernel set-up, the first touch of every page), and the
            system allocator of a baseline without :mod:`pyskl.core.allocator` is still faulting pages in on the
            third (the former default of 1 timed the second step, so the median of three was the slower of the
            third and the fourth; docs/benchmarks.md).
        threads (int): ``torch.set_num_threads`` and ``OMP_NUM_THREADS`` of every process.
        shape (sequence[int]): the input ``(N, M, T, V, C)``.
        cfg_options (dict | None): config overrides (e.g. ``{'model.backbone.base_channels': 8}``).
        data_iters (int): samples timed through the training pipeline per process; 0 skips the data figure.
        configs (dict | None): backbone name -> config path relative to a tree; default :data:`BACKBONE_CONFIGS`.
        log (callable | None): called with a progress line per process.
        amp (bool): run B's forward passes under CPU bfloat16 autocast (what ``--amp`` trains with on CPU);
            A stays float32, so the ratios say what ``--amp`` gains over the baseline's float32.
        padded (float): fraction of the input's samples whose persons after the first are all zeros, as the
            pipeline pads a one-person sample (most of NTU RGB+D); the same input for A and B.

    Returns:
        dict: ``commit`` (the baseline's hash), the settings, and ``rows``: one dict per backbone with
        ``backbone``, ``config`` and, for ``A`` and ``B``, ``eval_ms`` / ``train_ms`` / ``mem_mb_per_sample`` /
        ``data_per_s`` summaries (``median``, ``noise``) and ``allocator`` (the C allocator settings the
        processes reported, see :mod:`pyskl.core.allocator`); a backbone whose config is missing in a tree gets
        ``missing`` with that side's name.
    """
    if reps < 1 or iters < 1 or warmup < 0 or threads < 1:
        raise ValueError(
            f'reps, iters and threads must be >= 1 and warmup >= 0, got reps={reps}, iters={iters}, '
            f'warmup={warmup}, threads={threads}'
        )
    if len(shape) != 5:
        raise ValueError(f'shape must be (N, M, T, V, C), got {tuple(shape)}')
    if not 0 <= padded <= 1:
        raise ValueError(f'padded must be a fraction in [0, 1], got {padded}')
    configs = dict(configs or BACKBONE_CONFIGS)
    backbones = list(backbones or configs)
    unknown = [b for b in backbones if b not in configs]
    if unknown:
        raise ValueError(f'unknown backbone(s) {unknown}; choose from {sorted(configs)}')
    tree = os.path.abspath(tree)
    rows = []
    with tempfile.TemporaryDirectory(prefix='pyskl_baseline_') as base:
        commit = export_revision(rev, base, repo)
        sides = (('A', base), ('B', tree))
        for name in backbones:
            cfg = configs[name]
            row = dict(backbone=name, config=cfg)
            missing = [side for side, root in sides if not os.path.isfile(os.path.join(root, cfg))]
            if missing:
                row['missing'] = missing
                rows.append(row)
                continue
            runs = {side: [] for side, _ in sides}
            for rep in range(reps):
                for side, root in sides:
                    job = dict(
                        kind='model',
                        config=cfg,
                        threads=threads,
                        shape=list(shape),
                        warmup=warmup,
                        iters=iters,
                        cfg_options=cfg_options,
                        amp=amp and side == 'B',
                        padded=padded,
                    )
                    out = run_worker(root, job)
                    if data_iters > 0:
                        out.update(run_worker(root, dict(job, kind='data', data_iters=data_iters)))
                    runs[side].append(out)
                    if log:
                        log(
                            f'{name} {side} rep {rep + 1}/{reps}: eval {statistics.median(out["eval_ms"]):.1f} ms, '
                            f'train {statistics.median(out["train_ms"]):.1f} ms'
                        )
            for side, _ in sides:
                outs = runs[side]
                row[side] = dict(
                    eval_ms=_summary([statistics.median(o['eval_ms']) for o in outs]),
                    train_ms=_summary([statistics.median(o['train_ms']) for o in outs]),
                    mem_mb_per_sample=_summary([o['train_peak_mb'] / shape[0] for o in outs]),
                    data_per_s=_summary([o.get('data_per_s') for o in outs]),
                    allocator=sorted({o.get('allocator', 'not reported') for o in outs}),
                )
            rows.append(row)
    return dict(
        commit=commit,
        rev=rev,
        reps=reps,
        iters=iters,
        warmup=warmup,
        threads=threads,
        shape=tuple(shape),
        cfg_options=cfg_options,
        amp=amp,
        padded=padded,
        rows=rows,
    )

"""Training curves from the logs of one or several runs (the library behind
``tools/analysis/analyze_logs.py``).

Sources, per run:

- a work dir: every ``<timestamp>/vis_data/scalars.json`` under it, in timestamp order (a resumed run
  adds a folder; a later entry replaces an earlier one of the same step). Folders holding only
  evaluation entries (those written by ``tools/test.py`` into the work dir) are skipped;
- a ``scalars.json`` file (mmengine: one JSON object per line; training entries have ``loss``/``lr``
  and ``step`` = global iteration, validation entries have ``acc/top1``... and ``step`` = epoch);
- a PYSKL / MMAction2 0.x ``*.log.json`` (lines with ``mode`` ``train``/``val``; ``top1_acc`` is read
  as ``acc/top1``; the iteration axis counts training entries times the logging interval).

matplotlib is imported only for plotting, through ``matplotlib.figure.Figure`` (Agg, no pyplot state).
"""

import glob
import json
import math
import os.path as osp
from typing import Dict, List, Sequence

from pyskl.core.reprs import short_repr

__all__ = ['load_run', 'plot_curves', 'summarize_run']

#: Largest log read (a scalars.json of a long run is a few MB).
MAX_LOG_BYTES = 1 << 30

#: PYSKL 0.x validation keys -> mmengine names.
OLD_KEYS = {'top1_acc': 'acc/top1', 'top5_acc': 'acc/top5', 'mean_class_accuracy': 'acc/mean1'}


def _read_json_lines(path: str) -> List[dict]:
    from pyskl.core.fileio import check_regular_file

    check_regular_file(path, 'log file', MAX_LOG_BYTES)
    entries = []
    with open(path, 'rb') as f:  # bytes: a line that is not UTF-8 is named like any other bad line
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}: line {lineno} is not JSON ({e.msg})') from None
            except (UnicodeDecodeError, RecursionError) as e:
                reason = 'nested too deeply' if isinstance(e, RecursionError) else 'not UTF-8'
                raise ValueError(f'{path}: line {lineno} is not JSON ({reason})') from None
            except ValueError as e:  # an integer of thousands of digits (int_max_str_digits)
                raise ValueError(f'{path}: line {lineno} is not a log entry ({e})') from None
            if not isinstance(entry, dict):
                raise ValueError(f'{path}: line {lineno} is not a JSON object')
            entries.append(entry)
    return entries


def _numbers(path: str, lineno: int, entry: dict) -> dict:
    """``entry`` after checking its scalars are numbers (``mode`` aside): a string or list where a loss, an accuracy
    or a step belongs is named here rather than failing in a format or a plot."""
    for key, value in entry.items():
        if key != 'mode' and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f'{path}: line {lineno}: field {key!r} must be a number, got {short_repr(value)}')
        if key in ('step', 'iter', 'epoch') and not (math.isfinite(value) and 0 <= value < 2**53):
            raise ValueError(f'{path}: line {lineno}: field {key!r} must be a count, got {value!r}')
    return entry


def _split_scalars(path: str) -> Dict[str, List[dict]]:
    """``{'train': [...], 'val': [...]}`` of one scalars.json / log.json."""
    train, val = [], []
    entries = _read_json_lines(path)
    old_format = any('mode' in e for e in entries)
    for lineno, e in enumerate(entries, 1):
        if old_format:
            mode = e.get('mode')
            if mode == 'train':
                train.append(dict(_numbers(path, lineno, e)))
            elif mode == 'val':
                _numbers(path, lineno, e)
                val.append(dict({OLD_KEYS.get(k, k): v for k, v in e.items()}, step=e.get('epoch', len(val) + 1)))
            continue
        if 'step' not in e:
            raise ValueError(f"{path}: entry {lineno} has no 'step' field")
        if 'loss' in e or 'lr' in e:
            train.append(_numbers(path, lineno, e))
        elif any(k.startswith('acc/') for k in e):
            val.append(_numbers(path, lineno, e))
    if old_format and train:
        # PYSKL logs every `interval` iterations: x = entry number * interval (the first entry's iter)
        interval = int(train[0].get('iter', 1)) or 1
        for i, e in enumerate(train):
            e['step'] = (i + 1) * interval
    return dict(train=train, val=val)


def _merge(entries: List[dict]) -> List[dict]:
    by_step = {}
    for e in entries:
        by_step[e['step']] = e  # later runs (resumed) replace earlier entries of the same step
    return [by_step[s] for s in sorted(by_step)]


def load_run(path: str) -> Dict[str, List[dict]]:
    """Training and validation entries of a run.

    Args:
        path (str): a work dir, a ``scalars.json`` or a PYSKL ``*.log.json``.

    Returns:
        dict: ``train`` (entries with ``step`` = iteration, ``loss``, ``lr``, ...) and ``val``
        (entries with ``step`` = epoch, ``acc/top1``, ...), each sorted by step.

    Raises:
        FileNotFoundError: nothing to read at ``path``. ValueError: a malformed line (file and line named).
    """
    if osp.isdir(path):
        files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
        if not files:
            raise FileNotFoundError(f'{path}: no <timestamp>/vis_data/scalars.json found (is it a work dir?)')
    elif osp.exists(path):  # a file (pipes and devices are refused when read)
        files = [path]
    else:
        raise FileNotFoundError(f'log not found: {path}')
    train, val = [], []
    for f in files:
        part = _split_scalars(f)
        if len(files) > 1 and not part['train']:
            continue  # a test run's folder
        train += part['train']
        val += part['val']
    if not train and not val:
        raise ValueError(f'{path}: no training or validation entries in {", ".join(files)}')
    return dict(train=_merge(train), val=_merge(val))


def summarize_run(run: Dict[str, List[dict]], key: str = 'acc/top1') -> dict:
    """``iterations``, ``epochs``, ``final_loss``, ``best`` value of ``key`` and its ``best_epoch``."""
    out = dict(
        iterations=run['train'][-1]['step'] if run['train'] else 0,
        epochs=max([e.get('epoch', 0) for e in run['train']] + [e['step'] for e in run['val']] + [0]),
        final_loss=run['train'][-1].get('loss') if run['train'] else None,
        best=None,
        best_epoch=None,
    )
    scored = [e for e in run['val'] if key in e and math.isfinite(e[key])]  # a NaN accuracy is not the best
    if scored:
        best = max(scored, key=lambda e: e[key])
        out.update(best=best[key], best_epoch=best['step'])
    return out


def plot_curves(
    runs: Dict[str, Dict[str, List[dict]]], path: str, keys: Sequence[str] = ('loss', 'lr', 'acc/top1'), dpi: int = 100
) -> None:
    """Save one panel per key (training keys against the iteration, ``acc/*`` validation keys against
    the epoch), one line per run, as a PNG.

    Args:
        runs (dict): ``{legend name: load_run(...)}``.
        path (str): output PNG.
        keys (Sequence[str]): scalar names, e.g. ``loss``, ``lr``, ``acc/top1``, ``acc/mean1``.
    """
    from matplotlib.figure import Figure

    if not keys:
        raise ValueError('no key to plot')
    fig = Figure(figsize=(5 * len(keys), 4))
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        part = 'val' if key.startswith('acc/') else 'train'
        plotted = False
        for name, run in runs.items():
            points = [(e['step'], e[key]) for e in run[part] if key in e]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker='o' if part == 'val' else None, markersize=3, label=name)
                plotted = True
        if not plotted:
            raise ValueError(
                f'no run has the key {key!r} (in its {"validation" if part == "val" else "training"} entries)'
            )
        ax.set_xlabel('epoch' if part == 'val' else 'iteration')
        ax.set_ylabel(key)
        ax.set_title(key + (' (validation)' if part == 'val' else ''))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)

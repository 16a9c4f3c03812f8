"""Confusion matrix and per-class accuracy of test predictions, as PNG and CSV (the library behind
``tools/analysis/confusion_matrix.py``). matplotlib is imported only when plotting; figures are drawn
with ``matplotlib.figure.Figure`` (Agg rendering, no pyplot state, no display needed)."""

import csv
from typing import Optional, Sequence

import numpy as np

__all__ = ['confusion_matrix', 'write_per_class_csv', 'plot_confusion_matrix']


def confusion_matrix(scores: np.ndarray, labels: np.ndarray, num_classes: Optional[int] = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Args:
        scores (np.ndarray): ``(N, K)`` class scores; the prediction is ``argmax`` (ties to the lower index).
        labels (np.ndarray): ``(N,)`` integer labels in ``[0, K)``.
        num_classes (int, optional): K; default ``scores.shape[1]``.

    Returns:
        np.ndarray: int64 ``(K, K)``; row = true class, column = predicted class.
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels, dtype=np.int64)
    k = scores.shape[1] if num_classes is None else int(num_classes)
    if scores.ndim != 2 or labels.shape != (scores.shape[0],):
        raise ValueError(f'scores must be (N, K) and labels (N,), got {scores.shape} and {labels.shape}')
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f'labels must lie in [0, {k}), got {labels.min()}..{labels.max()}')
    pred = np.argmax(scores, axis=1)
    return np.bincount(labels * k + pred, minlength=k * k).reshape(k, k).astype(np.int64)


def write_per_class_csv(cm: np.ndarray, path: str, class_names: Optional[Sequence[str]] = None) -> None:
    """Write one row per class: ``class,name,samples,correct,accuracy,most_confused_with``.

    ``accuracy`` is empty for a class without samples; ``most_confused_with`` names the class most
    often predicted instead (empty when there is no error).
    """
    k = cm.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f'{len(names)} class names for {k} classes')
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['class', 'name', 'samples', 'correct', 'accuracy', 'most_confused_with'])
        for i in range(k):
            total, correct = int(cm[i].sum()), int(cm[i, i])
            errors = cm[i].copy()
            errors[i] = 0
            confused = names[int(np.argmax(errors))] if errors.sum() else ''
            acc = f'{correct / total:.6f}' if total else ''
            writer.writerow([i, names[i], total, correct, acc, confused])


def plot_confusion_matrix(
    cm: np.ndarray,
    path: str,
    class_names: Optional[Sequence[str]] = None,
    normalize: bool = True,
    title: str = 'Confusion matrix',
    dpi: int = 100,
) -> None:
    """Save ``cm`` (``(K, K)``, rows = true class) as a PNG heat map; rows are normalised to sum 1
    when ``normalize``. Class names label the axes (ticks are thinned out beyond 60 classes)."""
    from matplotlib.figure import Figure

    k = cm.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    data = cm.astype(np.float64)
    if normalize:
        data = data / np.maximum(data.sum(axis=1, keepdims=True), 1)
    size = min(4 + 0.25 * k, 40)
    fig = Figure(figsize=(size, size))
    ax = fig.subplots()
    im = ax.imshow(data, cmap='Blues', vmin=0, vmax=1 if normalize else None)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    step = max(1, int(np.ceil(k / 60)))
    ticks = np.arange(0, k, step)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels([names[i] for i in ticks], rotation=90, fontsize=7)
    ax.set_yticklabels([names[i] for i in ticks], fontsize=7)
    ax.set_xlabel('Predicted class')
    ax.set_ylabel('True class')
    ax.set_title(title)
    if k <= 20:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(
                        j,
                        i,
                        f'{data[i, j]:.2f}' if normalize else str(cm[i, j]),
                        ha='center',
                        va='center',
                        fontsize=7,
                        color='white' if data[i, j] > 0.5 * data.max() else 'black',
                    )
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)

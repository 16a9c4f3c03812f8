"""Fitting checkpoint weights into a model: which keys load, which are missing, unexpected or of another shape,
and a refusal when a checkpoint is almost certainly of another architecture (:class:`WeightsMismatchError`).

The files themselves are read by :mod:`.reading` (no arbitrary unpickling, PYSKL / MMAction2 key names).
"""

import warnings
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

from .reading import load_checkpoint_file, model_weights

__all__ = [
    'WeightsMismatchError',
    'match_summary',
    'check_loaded_fraction',
    'load_checkpoint',
    'load_weights',
    'warn_non_finite',
]


def match_summary(model: torch.nn.Module, state_dict: Dict[str, torch.Tensor]) -> dict:
    """How ``state_dict`` matches ``model.state_dict()``.

    Keys a submodule lists in its ``optional_state_keys`` (state that older checkpoints lack, e.g. the class memory
    ``avg_f`` of ProtoGCN's contrastive loss, which the original code never saved) are not reported missing; they
    keep their built value.

    Returns:
        dict: ``missing`` / ``unexpected`` / ``mismatched`` key lists (``mismatched``: in both, other shape),
        ``loaded`` (keys that load), ``fraction`` (loaded share of the model's tensor elements, 0..1).
    """
    own = model.state_dict()
    optional = {
        f'{name}.{key}' if name else key
        for name, mod in model.named_modules()
        for key in getattr(mod, 'optional_state_keys', ())
    }
    missing = [k for k in own if k not in state_dict and k not in optional]
    unexpected = [k for k in state_dict if k not in own]
    mismatched = [k for k, v in state_dict.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    bad = set(mismatched)
    loaded = [k for k in state_dict if k in own and k not in bad]
    total = sum(v.numel() for v in own.values())
    fraction = sum(own[k].numel() for k in loaded) / total if total else 1.0
    return dict(
        missing=missing,
        unexpected=unexpected,
        mismatched=mismatched,
        loaded=loaded,
        fraction=fraction,
        shapes={k: (tuple(state_dict[k].shape), tuple(own[k].shape)) for k in mismatched},
    )


class WeightsMismatchError(ValueError, RuntimeError):
    """The checkpoint's weights do not fit the model built from the config (another architecture, width or
    modality). A ``ValueError`` (a bad input: the command line prints the message, no traceback) and, as before,
    a ``RuntimeError``."""


def check_loaded_fraction(
    summary: dict,
    path: str,
    min_fraction: float = 0.5,
    what: str = 'load_from',
    hint: str = 'set `allow_partial_load = True` in the config (or --cfg-options allow_partial_load=True)',
) -> None:
    """Raise :class:`WeightsMismatchError` naming ``path`` when less than ``min_fraction`` of the model's parameters (by
    element count) load from the checkpoint (``summary`` from :func:`match_summary`): it is then almost
    certainly of another architecture, and training would silently start from scratch."""
    if summary['fraction'] >= min_fraction:
        return
    n_own = len(summary['loaded']) + len(summary['missing']) + len(summary['mismatched'])
    examples = ', '.join(f'{k}: checkpoint {a} vs model {b}' for k, (a, b) in list(summary['shapes'].items())[:3])
    raise WeightsMismatchError(
        f"{path}: {what} would load only {100 * summary['fraction']:.1f}% of the model's parameters (less than "
        f'{100 * min_fraction:.0f}%): {len(summary["loaded"])} of {n_own} tensors load; '
        f'{len(summary["missing"])} missing in the checkpoint, {len(summary["unexpected"])} unexpected, '
        f'{len(summary["mismatched"])} with another shape'
        + (f' (e.g. {examples})' if examples else '')
        + f'. The checkpoint is probably of another architecture or modality; {hint} if this is intended.'
    )


def load_checkpoint(
    model: torch.nn.Module,
    path: str,
    map_location='cpu',
    strict: bool = True,
    revise_keys: Optional[List[Tuple[str, str]]] = None,
) -> dict:
    """Load PYSKL, MMAction2 or pyskl weights into ``model``.

    Args:
        model (nn.Module): The recognizer (keys ``backbone.*``, ``cls_head.*``).
        path (str): Checkpoint file.
        map_location: As in :func:`torch.load`.
        strict (bool): Raise when keys are missing or unexpected, or shapes differ. Keys a submodule lists
            in its ``optional_state_keys`` may be missing; they keep their built value.
        revise_keys (list[tuple[str, str]] | None): Extra ``(regex, replacement)`` renames applied after the
            built-in mappings.

    Returns:
        dict: The whole checkpoint as loaded (``meta`` etc.).
    """
    checkpoint = load_checkpoint_file(path, map_location)
    load_weights(model, checkpoint, path, strict, revise_keys)
    return checkpoint


def load_weights(
    model: torch.nn.Module,
    checkpoint: dict,
    path: str = '<checkpoint>',
    strict: bool = True,
    revise_keys: Optional[List[Tuple[str, str]]] = None,
) -> None:
    """Load the weights of an already loaded ``checkpoint`` (from :func:`load_checkpoint_file`) into ``model``;
    arguments as :func:`load_checkpoint` (``path`` only names the file in messages)."""
    state_dict = model_weights(checkpoint, path, revise_keys)
    summary = match_summary(model, state_dict)
    missing, unexpected = summary['missing'], summary['unexpected']
    mismatched = [f'{k}: checkpoint {a} vs model {b}' for k, (a, b) in summary['shapes'].items()]
    if strict and (missing or unexpected or mismatched):

        def listing(title, keys):
            return f'\n  {title} ({len(keys)}): ' + ', '.join(keys[:20]) + (' ...' if len(keys) > 20 else '')

        msg = f'{path}: the checkpoint does not match the model built from the config.'
        if missing:
            msg += listing('missing in checkpoint', missing)
        if unexpected:
            msg += listing('unexpected in checkpoint', unexpected)
        if mismatched:
            msg += listing('shape mismatch', mismatched)
        raise WeightsMismatchError(msg)
    warn_non_finite(state_dict, summary['loaded'], path)
    model.load_state_dict(OrderedDict((k, state_dict[k]) for k in summary['loaded']), strict=False)


def warn_non_finite(state_dict: Dict[str, torch.Tensor], keys: List[str], path: str) -> List[str]:
    """Warn (naming ``path`` and the first tensors) when floating weights among ``keys`` hold NaN/Inf: every
    score computed with them is NaN (a checkpoint of a diverged run). Returns the keys concerned."""
    bad = [
        (k, int((~torch.isfinite(state_dict[k])).sum()))
        for k in keys
        if state_dict[k].is_floating_point() and not bool(torch.isfinite(state_dict[k]).all())
    ]
    if bad:
        listed = ', '.join(f'{k} ({n} values)' for k, n in bad[:3]) + (' ...' if len(bad) > 3 else '')
        warnings.warn(
            f'{path}: {len(bad)} weight tensor(s) hold NaN/Inf: {listed}; scores computed with them are NaN '
            '(a checkpoint of a run whose loss diverged?)',
            stacklevel=3,
        )
    return [k for k, _ in bad]

"""Build a recognizer from a config or a checkpoint and run it on skeleton sequences."""

import copy
from typing import List, NamedTuple, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config


class Prediction(NamedTuple):
    """One ranked class: ``label`` (int), ``score`` (float) and ``name`` (str, None without a label map)."""

    label: int
    score: float
    name: Optional[str] = None


def read_checkpoint(checkpoint: str) -> Tuple[str, dict]:
    """``(local path, loaded checkpoint dict)`` of a checkpoint file or URL, read with the safe loader."""
    from pyskl.engine import resolve_checkpoint_path
    from pyskl.engine.checkpoint import load_checkpoint_file

    path = resolve_checkpoint_path(checkpoint)
    return path, load_checkpoint_file(path, map_location='cpu')


def load_config_for_checkpoint(
    config: Union[str, Config, None],
    checkpoint: Union[str, dict, None],
    cfg_options: Optional[dict] = None,
    force: bool = False,
    source: Optional[str] = None,
) -> Tuple[Config, dict]:
    """The resolved config to run ``checkpoint`` with, and the checkpoint's ``meta``.

    Args:
        config (str | Config | None): Config path or loaded config; None takes the config stored in the checkpoint
            (``meta['pyskl_config']``, plain data written by pyskl's training, never executed).
        checkpoint (str | dict | None): Checkpoint path or URL, or a checkpoint already loaded (then ``source``
            names it in messages); None with a config builds fresh weights.
        cfg_options (dict | None): Overrides merged into the config.
        force (bool): Go on when the config and the checkpoint's stored config disagree on the experiment's facts
            (``feats``, ``layout``, ``num_classes``, ``in_channels``, backbone).

    Raises:
        ValueError: no config given and the checkpoint stores none, or the two disagree (without ``force``); the
            message names the checkpoint and each difference.
    """
    from pyskl.core.config import load_config, resolve_config
    from pyskl.core.config_data import CONFIG_KEY, compare_facts, config_from_data

    if isinstance(checkpoint, dict):
        loaded, checkpoint = checkpoint, source or '<checkpoint>'
    else:
        loaded = read_checkpoint(checkpoint)[1] if checkpoint is not None else {}
    meta = loaded.get('meta') if isinstance(loaded.get('meta'), dict) else {}
    stored = meta.get(CONFIG_KEY)
    if config is None:
        if checkpoint is None:
            raise ValueError('give a config, a checkpoint, or both')
        if stored is None:
            raise ValueError(
                f'{checkpoint}: the checkpoint stores no pyskl config (released PYSKL / MMAction2 '
                'weights, or saved by an older pyskl); pass the config file as well'
            )
        from pyskl.engine.checkpoint.stored_types import check_stored_types

        cfg = config_from_data(stored, checkpoint)
        check_stored_types(stored, checkpoint)
        return resolve_config(cfg, cfg_options, where=f'{checkpoint} (its stored config)'), meta
    cfg = (
        load_config(config, cfg_options)
        if isinstance(config, str)
        else resolve_config(copy.deepcopy(config), cfg_options)
    )
    if stored is not None:
        diffs = compare_facts(config_from_data(stored, checkpoint), cfg)
        if diffs and not force:
            name = config if isinstance(config, str) else 'the config'
            raise ValueError(
                f'{checkpoint} was trained with a different experiment than {name}:\n  '
                + '\n  '.join(diffs)
                + '\nUse the matching config, or --force (force=True) to go on.'
            )
    return cfg, meta


def check_device(device: str) -> str:
    """``device`` checked before anything is built on it: a torch device string, and for CUDA an index below the
    number of visible GPUs. Raises ValueError naming it (torch raised a RuntimeError / AssertionError)."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"device {device!r} is not a torch device ('cpu', 'cuda', 'cuda:1', ...): {e}") from None
    if parsed.type == 'cuda':
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(
                f'device {device!r}: CUDA is not available here (torch {torch.__version__}, no GPU visible)'
            )
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(f'device {device!r}: only {count} GPU(s) visible (cuda:0 .. cuda:{count - 1})')
    elif parsed.type != 'cpu':
        raise ValueError(f"device {device!r}: pyskl runs on 'cpu' or 'cuda[:N]'")
    return device


def init_recognizer(
    config: Union[str, Config, None],
    checkpoint: Optional[str] = None,
    device: str = 'cpu',
    cfg_options: Optional[dict] = None,
    force: bool = False,
) -> torch.nn.Module:
    """Build the model of ``config``, load ``checkpoint`` (PYSKL, MMAction2 or pyskl), return it in eval mode.

    Args:
        config (str | Config | None): Config path or loaded config; None: the config stored in ``checkpoint``
            (pyskl checkpoints carry it as data).
        checkpoint (str | None): Weights; None keeps the fresh initialisation.
        device (str): ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
        cfg_options (dict | None): Overrides merged into the config.
        force (bool): Load even when ``config`` disagrees with the checkpoint's stored config
            (see :func:`load_config_for_checkpoint`).

    The model keeps its config as ``model.cfg`` and its class names (from the checkpoint, or from the config's
    ``label_map`` file) as ``model.classes`` (None when unknown).
    """
    from pyskl.registry import MODELS
    from pyskl.registry import register_all_modules
    from pyskl.engine.checkpoint import load_weights
    from pyskl.core.config_data import stored_classes

    register_all_modules()
    check_device(device)
    path, loaded = read_checkpoint(checkpoint) if checkpoint is not None else (None, None)
    cfg, meta = load_config_for_checkpoint(config, loaded, cfg_options, force, source=path)
    model = MODELS.build(cfg.model)
    if loaded is not None:
        load_weights(model, loaded, path)
    model.cfg = cfg
    model.classes = stored_classes(meta) or config_classes(cfg)
    return model.to(device).eval()


def config_classes(cfg: Config) -> Optional[List[str]]:
    """Class names from the config's top-level ``label_map`` file (None when unset or unreadable)."""
    from pyskl.core.label_map import load_label_map

    path = cfg.get('label_map')
    if not path:
        return None
    try:
        return load_label_map(path, cfg.get('num_classes'))
    except (OSError, ValueError):
        return None


def _as_annotation(sample: Union[dict, np.ndarray], model) -> dict:
    """A PYSKL annotation dict from ``sample``: a dict is copied, an array ``(M, T, V, C)`` is wrapped (for a 2D
    model its last channel must be the keypoint score, i.e. C = 3)."""
    if isinstance(sample, dict):
        return dict(sample)
    kp = np.asarray(sample)
    if kp.ndim == 3:  # (T, V, C): one person
        kp = kp[None]
    if kp.ndim != 4:
        raise ValueError(f'expected keypoints (M, T, V, C) or (T, V, C), got shape {kp.shape}')
    if _is_2d(model) and kp.shape[-1] == 3:
        return dict(keypoint=kp[..., :2], keypoint_score=kp[..., 2])
    return dict(keypoint=kp)


def configured_layout(model):
    """The skeleton layout of ``model``'s config (``model.backbone.graph_cfg.layout``: a name, a layout dict, or
    None when the backbone has no graph)."""
    return model.cfg.model.get('backbone', {}).get('graph_cfg', {}).get('layout')


def _is_2d(model) -> bool:
    """Whether the model's pipeline expects 2D keypoints with scores: a named layout with ``scores`` (``coco``,
    ``openpose``, ...; not NTU's 3D Kinect), or a user-defined layout dict (its data decides)."""
    from pyskl.core.layout import get_layout

    layout = configured_layout(model)
    if layout is None:
        return False
    return get_layout(layout).scores if isinstance(layout, str) else True


def _validate(ann: dict, model) -> None:
    """Check one annotation as the dataset checks samples (shape, joints, channels, scores, finite values)."""
    from pyskl.core.layout import get_layout

    kp = ann.get('keypoint')
    if kp is None:
        raise ValueError('the sample has no keypoint array')
    kp = np.asarray(kp)
    if kp.dtype.kind not in 'fiu' or kp.ndim != 4 or kp.shape[-1] not in (2, 3) or 0 in kp.shape[:3]:
        raise ValueError(
            f'keypoint must be a numeric array (M, T, V, C) with M, T >= 1 and C in {{2, 3}}, got {kp.dtype} {kp.shape}'
        )
    layout = configured_layout(model)
    stored = None if layout is None else get_layout(layout).stored_num_node  # 'coco_new': stored as COCO-17
    if stored is not None and kp.shape[2] != stored:
        raise ValueError(f"keypoint has V={kp.shape[2]} joints but the model's layout {layout!r} reads {stored}")
    if not np.isfinite(kp).all():
        raise ValueError('keypoint has NaN/Inf values')
    if _is_2d(model):
        score = ann.get('keypoint_score')
        if score is None:
            raise ValueError(f'a 2D model ({layout!r}) needs keypoint_score (M, T, V) with the keypoints')
        if np.shape(score) != kp.shape[:3]:
            raise ValueError(f'keypoint_score must be (M, T, V) = {kp.shape[:3]}, got {np.shape(score)}')


def inference_recognizer(model: torch.nn.Module, sample: Union[dict, np.ndarray], topk: int = 5) -> List[Prediction]:
    """Classify one skeleton sequence.

    Args:
        model: A recognizer from :func:`init_recognizer`; the test dataloader's pipeline of its config
            (or, in a minimal config, its ``test_pipeline``) is built on the first call and kept as
            ``model.test_pipeline``.
        sample (dict | np.ndarray): One sample in the PYSKL annotation format (``keypoint`` ``(M, T, V, C)``,
            ``keypoint_score`` ``(M, T, V)`` for 2D; ``total_frames`` and ``label`` optional), or the keypoints as
            an array ``(M, T, V, C)`` (``(T, V, C)`` for one person; for a 2D model ``C = 3`` is ``(x, y, score)``).
        topk (int): Number of results.

    Returns:
        list[Prediction]: ``(label, score, name)``, best first (scores are clip-averaged probabilities with the
        default ``average_clips='prob'``; ``name`` from ``model.classes``, None when unknown).

    Raises:
        ValueError: the sample does not fit the model (shape, joint count, missing scores, non-finite values).
    """
    from mmengine.dataset import Compose, pseudo_collate

    from pyskl.registry import TRANSFORMS

    ann = _as_annotation(sample, model)
    _validate(ann, model)
    pipeline = getattr(model, 'test_pipeline', None)
    if pipeline is None:  # built once per model, on the first call
        cfg = model.cfg
        loader = cfg.get('test_dataloader')
        pipeline_cfg = loader.dataset.pipeline if loader else cfg.get('test_pipeline')
        if not pipeline_cfg:
            raise KeyError('the config has neither test_dataloader.dataset.pipeline nor test_pipeline')
        pipeline = model.test_pipeline = Compose([TRANSFORMS.build(t) for t in pipeline_cfg])
    results = dict(copy.copy(ann))
    results.setdefault('label', -1)
    results.setdefault('total_frames', int(np.asarray(ann['keypoint']).shape[1]))
    results.setdefault('frame_dir', 'inference')
    results.update(test_mode=True, rng=np.random.default_rng(0), sample_idx=0, modality='Pose', start_index=0)
    data = pseudo_collate([pipeline(results)])
    with torch.inference_mode():
        pred = model.test_step(data)[0]
    scores = pred['pred_score'].float().cpu()
    k = min(topk, scores.numel())
    values, labels = scores.topk(k)
    names = getattr(model, 'classes', None)
    return [
        Prediction(int(i), float(v), names[int(i)] if names and int(i) < len(names) else None)
        for i, v in zip(labels, values)
    ]

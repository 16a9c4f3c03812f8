"""Build a recognizer from a config and run it on one annotation."""
import copy
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config


def init_recognizer(config: Union[str, Config], checkpoint: Optional[str] = None, device: str = 'cpu',
                    cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of ``config``, load ``checkpoint`` (PYSKL, MMAction2 or pyskl), return it in eval mode.

    Args:
        config (str | Config): Config path or loaded config.
        checkpoint (str | None): Weights; None keeps the fresh initialisation.
        device (str): ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
        cfg_options (dict | None): Overrides merged into the config.

    The model keeps its config as ``model.cfg``.
    """
    from pyskl.registry import MODELS
    from pyskl.utils import register_all_modules
    from pyskl.utils.checkpoint import load_checkpoint
    from pyskl.utils.config import load_config, resolve_config

    register_all_modules()
    if isinstance(config, str):
        cfg = load_config(config, cfg_options)
    else:
        cfg = resolve_config(copy.deepcopy(config), cfg_options)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
    model.cfg = cfg
    return model.to(device).eval()


def inference_recognizer(model: torch.nn.Module, annotation: dict, topk: int = 5) -> List[Tuple[int, float]]:
    """Classify one skeleton sequence.

    Args:
        model: A recognizer from :func:`init_recognizer`; the test dataloader's pipeline of its config
            (or, in a minimal config, its ``test_pipeline``) is built on the first call and kept as
            ``model.test_pipeline``.
        annotation (dict): One sample in the PYSKL annotation format (``keypoint`` ``(M, T, V, C)``,
            ``total_frames``, and ``keypoint_score`` for 2D; ``label`` optional).
        topk (int): Number of results.

    Returns:
        list[tuple[int, float]]: ``(label, score)`` pairs, best first (scores are clip-averaged
        probabilities with the default ``average_clips='prob'``).
    """
    from mmengine.dataset import Compose, pseudo_collate

    from pyskl.registry import TRANSFORMS

    pipeline = getattr(model, 'test_pipeline', None)
    if pipeline is None:  # built once per model, on the first call
        cfg = model.cfg
        loader = cfg.get('test_dataloader')
        pipeline_cfg = loader.dataset.pipeline if loader else cfg.get('test_pipeline')
        if not pipeline_cfg:
            raise KeyError('the config has neither test_dataloader.dataset.pipeline nor test_pipeline')
        pipeline = model.test_pipeline = Compose([TRANSFORMS.build(t) for t in pipeline_cfg])
    results = dict(copy.copy(annotation))
    results.setdefault('label', -1)
    results.setdefault('total_frames', int(np.asarray(annotation['keypoint']).shape[1]))
    results.setdefault('frame_dir', 'inference')
    results.update(test_mode=True, rng=np.random.default_rng(0), sample_idx=0, modality='Pose', start_index=0)
    data = pseudo_collate([pipeline(results)])
    with torch.no_grad():
        pred = model.test_step(data)[0]
    scores = pred['pred_score'].float().cpu()
    k = min(topk, scores.numel())
    values, labels = scores.topk(k)
    return [(int(i), float(v)) for i, v in zip(labels, values)]

"""Config loading with pyskl's top-level keys: the modality (``feats``, ``kp_channels``) and the dataset's
``layout`` / ``num_classes``, which the model follows."""
from typing import Optional

from mmengine.config import Config


def _walk(obj, fn):
    """Call ``fn`` on every dict nested in ``obj`` (dicts and lists)."""
    if isinstance(obj, dict):
        fn(obj)
        for v in obj.values():
            _walk(v, fn)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _walk(v, fn)


def apply_feats(cfg: Config) -> Config:
    """Propagate the top-level ``feats`` (modality) into every ``GenSkeFeat`` and the backbone's channels.

    ``model.backbone.in_channels = kp_channels * len(feats)`` (``kp_channels`` defaults to 3: ``(x, y, z)``
    for 3D, ``(x, y, score)`` for 2D).
    """
    feats = cfg.get('feats')
    if feats is None:
        return cfg
    if isinstance(feats, str):
        feats = [feats]
    feats = list(feats)
    from pyskl.datasets.transforms.pose_related import FEATS
    bad = [f for f in feats if f not in FEATS]
    if bad or not feats:
        raise ValueError(f"feats must be a non-empty list of {FEATS}; got {cfg.get('feats')!r}")
    cfg.feats = feats

    def set_feats(d):
        if d.get('type') == 'GenSkeFeat':
            d['feats'] = list(feats)

    for key in list(cfg.keys()):
        _walk(cfg[key], set_feats)
    backbone = cfg.get('model', {}).get('backbone')
    if backbone is not None:
        backbone['in_channels'] = int(cfg.get('kp_channels', 3)) * len(feats)
    return cfg


def apply_dataset_keys(cfg: Config) -> Config:
    """Let the model follow the dataset: fill ``model.backbone.graph_cfg.layout`` from the top-level
    ``layout`` and ``model.cls_head.num_classes`` from the top-level ``num_classes``, where the model does
    not set them itself (an explicit value, in the config or from ``--cfg-options``, wins).
    """
    model = cfg.get('model')
    if not isinstance(model, dict):
        return cfg
    backbone, head = model.get('backbone'), model.get('cls_head')
    layout, num_classes = cfg.get('layout'), cfg.get('num_classes')
    if layout is not None and isinstance(backbone, dict) and isinstance(backbone.get('graph_cfg'), dict):
        backbone['graph_cfg'].setdefault('layout', layout)
    if num_classes is not None and isinstance(head, dict):
        head.setdefault('num_classes', num_classes)
    return cfg


def resolve_config(cfg: Config, cfg_options: Optional[dict] = None) -> Config:
    """Merge ``cfg_options`` (``--cfg-options``) into a loaded config, then resolve ``feats`` and the
    dataset's ``layout`` / ``num_classes`` (:func:`apply_feats`, :func:`apply_dataset_keys`). In place."""
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return apply_dataset_keys(apply_feats(cfg))


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load an mmengine config and :func:`resolve_config` it.

    Every tool, :func:`pyskl.apis.init_recognizer` and the tests load configs through this function.
    """
    return resolve_config(Config.fromfile(path), cfg_options)

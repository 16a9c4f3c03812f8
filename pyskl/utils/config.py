"""Config loading with pyskl's modality keys (``feats``, ``kp_channels``)."""
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
    bad = [f for f in feats if f not in ('j', 'b', 'jm', 'bm')]
    if bad or not feats:
        raise ValueError(f"feats must be a non-empty list of 'j', 'b', 'jm', 'bm'; got {cfg.get('feats')!r}")
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


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load an mmengine config, merge ``cfg_options`` (``--cfg-options``), then resolve ``feats``.

    Every tool, :func:`pyskl.apis.init_recognizer` and the tests load configs through this function.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return apply_feats(cfg)

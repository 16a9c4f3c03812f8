"""Backbone features of skeleton samples, for retrieval and linear probes.

Each sample goes through the config's test pipeline with ONE clip (the test sampler's ``num_clips`` set to 1:
``clip_len`` uniformly sampled frames, deterministic), then through the backbone
(``RecognizerGCN.extract_feat``): unpooled features ``(M, C, T', V)`` (``M`` the pipeline's ``num_person``,
``C`` the head's ``in_channels``, ``T'`` the clip length after temporal strides). Pooled features ``(C,)`` are
what the classification head computes before its dropout and ``fc_cls``: the mean over ``(T', V)``, then over
persons.

File formats (:func:`save_features`):

- ``.pkl``: ``dict(frame_dir=[str] * N, label=int64 (N,) (-1 when unknown), pooled=float32 (N, C),
  unpooled=float32 (N, M, C, T', V) (only with ``unpooled=True``), meta=dict(...))``; plain data, read with
  :func:`pyskl.core.io.safe_load_pickle` (or ``pickle.load``).
- ``.npy``: ``FILE.npy`` = pooled float32 ``(N, C)``, ``FILE.frame_dir.txt`` = the N names, one per line in row
  order, ``FILE.unpooled.npy`` = float32 ``(N, M, C, T', V)`` with ``unpooled=True``.
"""

import copy
import os.path as osp
from typing import List, Optional

import numpy as np

__all__ = ['feature_pipeline', 'pool_features', 'extract_features', 'save_features']


def feature_pipeline(model):
    """The model's test pipeline with one clip per sample (built once, kept on the model)."""
    from mmengine.dataset import Compose

    from pyskl.registry import TRANSFORMS
    from .windows import _sampler_index, _test_pipeline_cfg

    pipeline = model.__dict__.get('_feature_pipeline')
    if pipeline is None:
        cfg = copy.deepcopy(_test_pipeline_cfg(model))
        i = _sampler_index(cfg)
        cfg[i] = dict(cfg[i], num_clips=1)
        pipeline = model.__dict__['_feature_pipeline'] = Compose([TRANSFORMS.build(t) for t in cfg])
    return pipeline


def pool_features(feat):
    """The head's pooling without its classifier: ``(N, M, C, T', V)`` -> mean over ``(T', V)`` and persons
    -> ``(N, C)`` (GCNHead / SimpleHead)."""
    return feat.mean(dim=(3, 4)).mean(dim=1)


def extract_features(model, samples: List[dict], unpooled: bool = False, batch_size: int = 16) -> dict:
    """Features of ``samples`` (checked annotation dicts, e.g. from :func:`pyskl.apis.predict.load_pickle`).

    Returns:
        dict: ``frame_dir`` list of N names, ``label`` int64 ``(N,)``, ``pooled`` float32 ``(N, C)`` and with
        ``unpooled`` float32 ``(N, M, C, T', V)`` (see the module docstring).
    """
    import torch

    from .predict import as_model_input

    pipeline = feature_pipeline(model)
    device = next(model.parameters()).device
    names, labels, pooled, full = [], [], [], []
    for start in range(0, len(samples), batch_size):
        batch = []
        for i, sample in enumerate(samples[start : start + batch_size], start):
            ann = as_model_input(model, sample)
            name = str(ann.get('frame_dir', f'sample {i}'))
            results = dict(
                ann, test_mode=True, rng=np.random.default_rng(0), sample_idx=i, modality='Pose', start_index=0
            )
            results.setdefault('total_frames', int(np.shape(ann['keypoint'])[1]))
            results['label'] = int(ann.get('label', -1))
            try:
                batch.append(pipeline(results)['inputs'][0])  # (M, T, V, C)
            except ValueError as e:
                raise ValueError(f'{name}: {e}') from None
            names.append(name)
            labels.append(results['label'])
        with torch.inference_mode():
            feat = model.extract_feat(torch.stack(batch).float().to(device))
        if isinstance(feat, tuple):  # (features, extra outputs), e.g. ProtoGCN's graph
            feat = feat[0]
        pooled.append(pool_features(feat).float().cpu().numpy())
        if unpooled:
            full.append(feat.float().cpu().numpy())
    out = dict(
        frame_dir=names,
        label=np.asarray(labels, np.int64),
        pooled=np.concatenate(pooled) if pooled else np.zeros((0, 0), np.float32),
    )
    if unpooled:
        out['unpooled'] = np.concatenate(full) if full else np.zeros((0,), np.float32)
    return out


def save_features(path: str, features: dict, meta: Optional[dict] = None) -> List[str]:
    """Write ``features`` (from :func:`extract_features`) to ``path`` (``.pkl`` or ``.npy``, see the module
    docstring), each file atomically; returns the paths written."""
    from pyskl.core.fileio import write_atomic, write_text_atomic
    from pyskl.core.io import dump_pickle

    ext = osp.splitext(path)[1].lower()
    if ext in ('.pkl', '.pickle'):
        dump_pickle(dict(features, meta=dict(meta or {})), path)
        return [path]
    if ext != '.npy':
        raise ValueError(f'{path}: the features file must end in .pkl or .npy')
    stem = path[: -len(ext)]

    def npy(array):
        def write(tmp):
            with open(tmp, 'wb') as f:
                np.save(f, array, allow_pickle=False)

        return write

    broken = next((n for n in features['frame_dir'] if n.splitlines() != [n]), None)  # every kind of line break
    if broken is not None:  # one name per line: a line break inside a name would shift every later row
        raise ValueError(
            f'{path}: frame_dir {broken!r} holds a line break, so the .frame_dir.txt list (one name per line) '
            'cannot hold it; write a .pkl instead'
        )
    written = [path, stem + '.frame_dir.txt']
    write_atomic(path, npy(features['pooled']))
    write_text_atomic(written[1], ''.join(f'{n}\n' for n in features['frame_dir']))
    if 'unpooled' in features:
        written.append(stem + '.unpooled.npy')
        write_atomic(written[2], npy(features['unpooled']))
    return written

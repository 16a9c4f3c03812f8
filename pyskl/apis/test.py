"""Library entry points behind ``tools/test.py``."""

import time
from typing import Optional, Sequence

from mmengine.config import Config

from .train import build_runner, check_work_dir, default_work_dir

AVERAGE_CLIPS = {'prob': 'prob', 'score': 'score', 'none': None}


def setup_test_cfg(
    config: Optional[str],
    work_dir: Optional[str] = None,
    out: Optional[str] = None,
    dump: Optional[str] = None,
    eval: Optional[Sequence[str]] = None,  # noqa: A002 (PYSKL's option name)
    average_clips: Optional[str] = None,
    cfg_options: Optional[dict] = None,
    launcher: str = 'none',
    checkpoint: Optional[str] = None,
    loaded: Optional[dict] = None,
    force: bool = False,
) -> Config:
    """Load ``config`` and apply ``tools/test.py``'s options.

    Args:
        config (str | None): config file; None: the config stored in ``checkpoint`` (plain data, see
            :func:`pyskl.apis.inference.load_config_for_checkpoint`).
        work_dir (str, optional): where logs go; default as in training.
        out (str, optional): write PYSKL's ``result.pkl`` (list of float32 ``(K,)`` arrays).
        dump (str, optional): write MMAction2's dump (list of dicts).
        eval (Sequence[str], optional): AccMetric's ``metric_list``; replaces the config's
            ``test_evaluator``. ``[]`` evaluates nothing (only ``out``/``dump`` are written).
        average_clips (str, optional): ``'prob'``, ``'score'`` or ``'none'``; sets
            ``model.cls_head.average_clips`` (and ``model.test_cfg.average_clips`` if set).
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        checkpoint (str, optional): the checkpoint to test; when it stores its config, ``config`` must agree with
            it on ``feats``, ``layout``, ``num_classes``, ``in_channels`` and the backbone.
        loaded (dict, optional): ``checkpoint`` already read (:func:`pyskl.apis.inference.read_checkpoint`), so
            that the file is read once for its config and its weights (pass the same dict to :func:`run_test`).
        force (bool): test even when they disagree.
    """
    import os.path as osp

    from .inference import load_config_for_checkpoint

    same = [
        f'{a} and {b} name the same file {x!r}'
        for (a, x), (b, y) in (
            (('--out', out), ('--dump', dump)),
            (('--out', out), ('the checkpoint', checkpoint)),
            (('--dump', dump), ('the checkpoint', checkpoint)),
        )
        if x and y and osp.realpath(x) == osp.realpath(y)
    ]
    if same:  # the later write would replace the earlier file (results or the weights themselves)
        raise ValueError(same[0] + ': nothing was run')
    cfg, _ = load_config_for_checkpoint(
        config, checkpoint if loaded is None else loaded, cfg_options, force, source=checkpoint
    )
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif config is None:
        cfg.work_dir = osp.dirname(osp.abspath(checkpoint))
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(config)
    check_work_dir(cfg.work_dir)
    if not (cfg.get('test_dataloader') and cfg.get('test_cfg')):
        raise ValueError(f'{config or checkpoint}: test_dataloader and test_cfg are needed for testing')

    if average_clips is not None:
        if average_clips not in AVERAGE_CLIPS:
            raise ValueError(f'average_clips must be one of {list(AVERAGE_CLIPS)}, got "{average_clips}"')
        cfg.model.cls_head.average_clips = AVERAGE_CLIPS[average_clips]
        if cfg.model.get('test_cfg') and 'average_clips' in cfg.model.test_cfg:
            cfg.model.test_cfg.average_clips = AVERAGE_CLIPS[average_clips]

    if eval is not None:
        evaluators = [dict(type='AccMetric', metric_list=tuple(eval))] if len(eval) else []
    else:
        evaluators = cfg.get('test_evaluator') or []
        evaluators = [evaluators] if isinstance(evaluators, dict) else list(evaluators)
    if out:
        evaluators.append(dict(type='DumpResults', out_file_path=out, fmt='pyskl'))
    if dump:
        evaluators.append(dict(type='DumpResults', out_file_path=dump, fmt='mmaction'))
    if not evaluators:
        raise ValueError('nothing to do: no evaluation metric and neither --out nor --dump')
    cfg.test_evaluator = evaluators

    # weights are loaded by run_test() with the strict PYSKL/MMAction2-aware loader
    cfg.load_from = None
    cfg.resume = False
    return cfg


def run_test(cfg: Config, checkpoint: str, loaded: Optional[dict] = None) -> dict:
    """Load ``checkpoint`` (pyskl, PYSKL or MMAction2 weights; strict) into the model of
    ``cfg`` (from :func:`setup_test_cfg`) and run the test loop. (Not named ``test``
    so that pytest never collects it.)

    Returns:
        dict: the metrics, e.g. ``acc/top1``, ``acc/top5``, ``acc/mean1``. The throughput of the whole test
        loop is logged as ``Tested N samples in S s: R samples/s``.
    """
    from mmengine.model import is_model_wrapper

    from pyskl.engine import resolve_checkpoint_path
    from pyskl.engine.checkpoint import load_checkpoint, load_weights

    runner = build_runner(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if loaded is None:
        load_checkpoint(model, resolve_checkpoint_path(checkpoint), map_location='cpu', strict=True)
    else:  # read once by the caller, e.g. for its stored config as well
        load_weights(model, loaded, checkpoint, strict=True)
    runner.logger.info(f'Loaded checkpoint {checkpoint}')
    start = time.perf_counter()
    metrics = runner.test()
    seconds = time.perf_counter() - start
    num_samples = len(runner.test_dataloader.dataset)
    runner.logger.info(
        f'Tested {num_samples} samples in {seconds:.1f} s: {num_samples / seconds:.1f} samples/s '
        '(data loading, every clip of the test pipeline and the metrics included)'
    )
    return metrics

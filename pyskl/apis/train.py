"""Library entry points behind ``tools/train.py``."""

import os
import os.path as osp
import warnings
from typing import Dict, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config path relative to configs/ without .py>`` (PYSKL style), e.g.
    ``configs/stgcn++/stgcn++_ntu60_xsub_3dkp/j.py`` -> ``work_dirs/stgcn++/stgcn++_ntu60_xsub_3dkp/j``.
    A config outside a ``configs`` folder gives ``work_dirs/<file name without .py>``."""
    parts = osp.normpath(osp.abspath(config_path)).split(os.sep)
    if 'configs' in parts[:-1]:
        idx = len(parts) - 1 - parts[::-1].index('configs')
        rel = parts[idx + 1 :]
    else:
        rel = parts[-1:]
    rel[-1] = osp.splitext(rel[-1])[0]
    return osp.join('work_dirs', *rel)


def check_work_dir(work_dir: str) -> None:
    """Refuse a work dir that exists as something other than a folder (mmengine failed with ``[Errno 17] File
    exists``)."""
    if osp.exists(work_dir) and not osp.isdir(work_dir):
        raise ValueError(f'work_dir {work_dir} is a file, not a directory: give another --work-dir')


def build_runner(cfg: Config):
    """Build the runner named by ``cfg.runner_type`` (default ``PysklRunner``) in pyskl's scope."""
    from pyskl.registry import RUNNERS

    runner_cls = RUNNERS.get(cfg.get('runner_type', 'PysklRunner'))
    if runner_cls is None:
        raise KeyError(f'runner_type "{cfg.get("runner_type")}" is not registered')
    return runner_cls.from_cfg(cfg)


def checkpoint_seed(path: str) -> Optional[int]:
    """The random seed stored in a checkpoint's ``meta`` (None if absent)."""
    from pyskl.engine import resolve_checkpoint_path
    from pyskl.engine.checkpoint import load_checkpoint_file
    from pyskl.engine.checkpoint import FileFormatError

    checkpoint = load_checkpoint_file(resolve_checkpoint_path(path), map_location='cpu')
    meta = checkpoint.get('meta') or {}
    seed = meta.get('seed') if isinstance(meta, dict) else None
    if seed is not None and type(seed) is not int:
        raise FileFormatError(f'{path}: meta.seed must be an int, got {type(seed).__name__}')
    return seed


def enable_amp(cfg: Config, cuda: Optional[bool] = None) -> None:
    """Switch ``cfg.optim_wrapper`` to mixed precision: ``AmpOptimWrapper`` (fp16, dynamic loss scale) when
    training on CUDA, ``CPUBF16OptimWrapper`` (bfloat16 autocast) on CPU.

    Args:
        cfg (Config): The config, changed in place.
        cuda (bool | None): Whether the model trains on CUDA; None: ``torch.cuda.is_available()``.
    """
    import torch

    if cuda is None:
        cuda = torch.cuda.is_available()
    optim_wrapper = cfg.optim_wrapper
    current = optim_wrapper.get('type', 'OptimWrapper')
    if current in ('AmpOptimWrapper', 'CPUBF16OptimWrapper'):
        return
    if current != 'OptimWrapper':
        raise ValueError(f'--amp: optim_wrapper.type is "{current}"; only OptimWrapper can be switched to AMP')
    if cuda:
        optim_wrapper.type = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        print_log(
            '--amp without CUDA: using bfloat16 autocast on CPU (CPUBF16OptimWrapper) instead of AmpOptimWrapper.',
            logger='current',
            level=30,
        )
        optim_wrapper.type = 'CPUBF16OptimWrapper'


def final_tests(test_last: bool, test_best: bool, out: Optional[str]) -> Tuple[bool, bool]:
    """The tests to run after training: ``(test_last, test_best)``; ``--out FILE`` without
    ``--test-last`` / ``--test-best`` tests the last checkpoint. Raises ``ValueError`` when ``out``
    is not a ``.pkl`` / ``.pickle`` path."""
    if out is None:
        return bool(test_last), bool(test_best)
    if not str(out).endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must name a .pkl or .pickle file, got "{out}"')
    return bool(test_last or not test_best), bool(test_best)


def _resume_checkpoint(cfg: Config, resume: Optional[str], no_resume: bool) -> Optional[str]:
    """Set ``cfg.resume`` / ``cfg.load_from`` for ``--resume [CKPT]`` / ``--no-resume`` / neither and
    return the checkpoint that will be resumed (None: a fresh run)."""
    from pyskl.engine.checkpoint_hook import find_resume_checkpoint

    if no_resume:
        if resume is not None:
            raise ValueError('--resume and --no-resume exclude each other')
        cfg.resume = False
        return None
    if resume is not None and resume != 'auto':
        if not osp.isfile(resume) and not resume.startswith(('http://', 'https://')):
            raise FileNotFoundError(f'--resume: checkpoint not found: {resume}')
        cfg.resume, cfg.load_from = True, resume
        return resume
    if resume is None and cfg.get('resume') and cfg.get('load_from'):
        return cfg.load_from  # the config names the file to resume from
    ckpt = find_resume_checkpoint(cfg.work_dir)
    if ckpt is None:
        if resume == 'auto' or cfg.get('resume'):
            print_log(f'--resume: no checkpoint in {cfg.work_dir}; starting afresh', logger='current')
        cfg.resume = False
        return None
    if resume is None:
        print_log(
            f'{cfg.work_dir} holds checkpoints of an earlier run: resuming from {ckpt} '
            '(--no-resume or another --work-dir starts afresh)',
            logger='current',
        )
    cfg.resume, cfg.load_from = True, ckpt
    return ckpt


def setup_train_cfg(
    config: str,
    work_dir: Optional[str] = None,
    resume: Optional[str] = None,
    amp: bool = False,
    seed: Optional[int] = None,
    deterministic: bool = False,
    auto_scale_lr: bool = False,
    cfg_options: Optional[dict] = None,
    launcher: str = 'none',
    validate: bool = True,
    test_last: bool = False,
    test_best: bool = False,
    no_resume: bool = False,
    out: Optional[str] = None,
) -> Config:
    """Load ``config`` (through :func:`pyskl.core.config.load_config`) and apply the
    command line options of ``tools/train.py``.

    Args:
        config (str): config file.
        work_dir (str, optional): overrides ``cfg.work_dir``; default
            :func:`default_work_dir`.
        resume (str, optional): a path resumes from that file. ``None`` (default) or ``'auto'``:
            when the work dir already holds checkpoints of an earlier run, resume from the newest
            (:func:`pyskl.engine.find_resume_checkpoint`: ``last_checkpoint``, ``latest.pth``, the
            largest ``epoch_N.pth``), as PYSKL did with ``latest.pth``; otherwise start afresh (the
            config's ``load_from`` applies). Without ``seed``, the seed stored in the checkpoint is
            used, so the sampler sees the same data as the original run.
        amp (bool): mixed precision (``AmpOptimWrapper`` with CUDA, bfloat16 autocast on CPU).
        seed (int, optional): random seed (``cfg.randomness.seed``).
        deterministic (bool): deterministic cuDNN.
        auto_scale_lr (bool): scale the learning rate by total batch size / ``base_batch_size``.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        validate (bool): validate during training (False removes val loop/data/evaluator).
        test_last, test_best (bool): checked here so that a missing test set fails before training.
        no_resume (bool): never resume (``--no-resume``); the earlier run's checkpoints are kept
            (a file the new run would overwrite is renamed aside by ``SafeCheckpointHook``).
        out (str, optional): ``--out`` (checked here; written by :func:`train_model`); see
            :func:`final_tests`.
    """
    from pyskl.core.config import load_config
    from pyskl.core.config_checks import check_eval_data

    cfg = load_config(config, cfg_options)
    if cfg.get('label_map'):  # said before training (it was a warning after the first epoch)
        from pyskl.core.config_data import config_facts
        from pyskl.core.label_map import load_label_map

        try:
            load_label_map(cfg.label_map, config_facts(cfg)['num_classes'])
        except (OSError, ValueError) as e:  # a warning, not an error: the map only names the classes in checkpoints
            # (the zoo configs name tools/data/label_map/..., relative to the repository; a subset of the classes
            # keeps the full map)
            warnings.warn(f'label_map: {e}; the checkpoints will store no class names')
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(config)
    check_work_dir(cfg.work_dir)

    if not validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    check_eval_data(cfg, config)
    test_last, test_best = final_tests(test_last, test_best, out)
    if (test_last or test_best) and not (
        cfg.get('test_dataloader') and cfg.get('test_cfg') and cfg.get('test_evaluator')
    ):
        raise ValueError(
            f'{config}: --test-last / --test-best need test_dataloader, test_cfg and test_evaluator in the config'
        )
    if test_best and not validate:
        raise ValueError('--test-best needs validation during training (remove --no-validate)')

    if amp:
        enable_amp(cfg)
    if auto_scale_lr:
        if not cfg.get('auto_scale_lr') or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ValueError(f'{config}: --auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True

    randomness = dict(cfg.get('randomness') or {})
    if deterministic:
        randomness['deterministic'] = True

    ckpt = _resume_checkpoint(cfg, resume, no_resume)
    if seed is None and ckpt is not None:
        seed = checkpoint_seed(ckpt)
        if seed is not None:
            print_log(f'Resuming with the seed stored in {ckpt}: {seed}', logger='current')
    if seed is not None:
        randomness['seed'] = int(seed)
    cfg.randomness = randomness
    return cfg


def _log_dist_env(runner) -> None:
    if runner.distributed:
        runner.logger.info(
            f'Distributed: launcher={runner.launcher}, world_size={runner.world_size}, '
            f'master={os.environ.get("MASTER_ADDR")}:{os.environ.get("MASTER_PORT")}, '
            f'nnodes={os.environ.get("NNODES", os.environ.get("GROUP_WORLD_SIZE", "?"))}'
        )


def _test_with_predictions(runner, pred_file: str) -> dict:
    """``runner.test()`` that also writes the predictions (PYSKL ``result.pkl`` format: a list of
    float32 ``(K,)`` arrays in dataset order) to ``pred_file``."""
    from pyskl.evaluation.metrics import DumpResults

    evaluator = runner.test_loop.evaluator  # built on first access
    dump = getattr(runner, '_pyskl_pred_dump', None)
    if dump is None:
        dump = DumpResults(out_file_path=pred_file, fmt='pyskl')
        dump.dataset_meta = evaluator.dataset_meta
        evaluator.metrics.append(dump)
        runner._pyskl_pred_dump = dump
    dump.out_file_path = pred_file
    return runner.test()


def train_model(
    cfg: Config, test_last: bool = False, test_best: bool = False, out: Optional[str] = None
) -> Dict[str, dict]:
    """Train with ``cfg`` (from :func:`setup_train_cfg`); optionally test the last and
    the best checkpoint afterwards.

    The tests write their predictions in PYSKL's ``result.pkl`` format (what ``tools/test.py --out``
    writes, the input of ``tools/analysis/fuse_results.py``) to ``<work_dir>/last_pred.pkl`` and
    ``<work_dir>/best_pred.pkl`` (rank 0); with ``out`` the final test's file (best if tested, else
    last) is also copied to ``out`` (:func:`final_tests`: ``out`` alone tests the last checkpoint).

    Returns:
        dict: ``{'last': metrics, 'best': metrics}`` for the tests that ran (may be empty).
    """
    from mmengine.dist import is_main_process

    test_last, test_best = final_tests(test_last, test_best, out)
    runner = build_runner(cfg)
    _log_dist_env(runner)
    runner.train()
    results, final_pred = {}, None
    if test_last:
        runner.logger.info('Testing the last checkpoint')
        final_pred = osp.join(runner.work_dir, 'last_pred.pkl')
        results['last'] = _test_with_predictions(runner, final_pred)
    if test_best:
        best = runner.message_hub.get_info('best_ckpt')
        if best is None:
            runner.logger.warning(
                '--test-best: no best checkpoint was saved (needs validation and '
                "CheckpointHook(save_best='auto')); skipped"
            )
        else:
            runner.logger.info(f'Testing the best checkpoint {best}')
            runner.load_checkpoint(best)
            final_pred = osp.join(runner.work_dir, 'best_pred.pkl')
            results['best'] = _test_with_predictions(runner, final_pred)
    if out and is_main_process():
        if final_pred is None:
            runner.logger.warning(f'--out {out}: no test ran, nothing written')
        else:
            import shutil

            from pyskl.core.fileio import write_atomic

            os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
            write_atomic(out, lambda tmp: shutil.copyfile(final_pred, tmp))
            runner.logger.info(f'Predictions of the final test ({osp.basename(final_pred)}) written to {out}')
    return results

"""Train, test and fuse a family of stream configs (``j.py``, ``b.py``, ``jm.py``, ``bm.py``; ProtoGCN also ``k.py``,
``km.py``): the library behind ``pyskl streams`` (``tools/dist_run_streams.sh``).

For each stream config present in the folder (in the order j, b, k, jm, bm, km), with its work dir
``<work root>/<stream>`` (default work root: PYSKL's ``work_dirs/<folder relative to configs>``):

1. **train** unless the run is finished. The state is read from the files' contents
   (:func:`stream_state`): *finished* when the checkpoint the run would resume from
   (:func:`pyskl.engine.checkpoint_hook.find_resume_checkpoint`) loads and its ``meta.epoch`` equals the
   config's ``train_cfg.max_epochs``; *unfinished* when there is another checkpoint (training resumes from
   it); *new* otherwise;
2. **test** the final checkpoint, writing ``result.pkl`` (PYSKL format) and ``dump.pkl`` (with labels and
   sample names, used for fusion) in the work dir; skipped when the stream was not trained in this call and
   both files load and hold one prediction per sample of the test split, in the split's order
   (:func:`results_ready`);
3. **fuse** the dumps: each stream alone, 2-stream J:B = 1:1, 4-stream J:B:JM:BM = 2:2:1:1 and ProtoGCN's
   6-stream J:B:K:JM:BM:KM = 2:2:2:1:1:1 (those whose streams are all present).

With ``gpus == 1`` everything runs in this process through :func:`~pyskl.apis.train.setup_train_cfg` /
:func:`~pyskl.apis.train.train_model` and :func:`~pyskl.apis.test.setup_test_cfg` /
:func:`~pyskl.apis.test.run_test`; each runner gets its own experiment name, so mmengine's per-run
``MessageHub`` and logger are never shared between streams. With ``gpus > 1`` each stream that needs work
is one ``torchrun --nproc_per_node GPUS -m pyskl.cli.streams --stream ...`` launch that trains and tests it
(:func:`run_stream` in every process).

The returned data (:func:`run_streams`) is formatted by :mod:`pyskl.cli.streams`.
"""

import os
import os.path as osp
import sys
import uuid
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

STREAMS = ('j', 'b', 'k', 'jm', 'bm', 'km')

__all__ = [
    'STREAMS',
    'TrainOptions',
    'find_stream_configs',
    'default_work_root',
    'stream_state',
    'results_ready',
    'run_stream',
    'run_streams',
]


@dataclass
class TrainOptions:
    """The ``tools/train.py`` options a multi-stream run passes to every stream (see
    :func:`~pyskl.apis.train.setup_train_cfg`); ``cfg_options`` also applies to the tests."""

    seed: Optional[int] = None
    deterministic: bool = False
    amp: bool = False
    auto_scale_lr: bool = False
    validate: bool = True
    cfg_options: Optional[dict] = None

    def to_argv(self) -> List[str]:
        """The same options as ``pyskl streams`` arguments (for the torchrun workers)."""
        argv = [] if self.seed is None else ['--seed', str(self.seed)]
        argv += [
            flag
            for flag, on in (
                ('--deterministic', self.deterministic),
                ('--amp', self.amp),
                ('--auto-scale-lr', self.auto_scale_lr),
                ('--no-validate', not self.validate),
            )
            if on
        ]
        if self.cfg_options:
            argv += ['--cfg-options'] + [f'{k}={_option_text(v)}' for k, v in self.cfg_options.items()]
        return argv


def _option_text(value) -> str:
    """A ``--cfg-options`` value as mmengine's ``DictAction`` parses it back."""
    if isinstance(value, (list, tuple)):
        inner = ','.join(_option_text(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner})'
    return str(value)


def find_stream_configs(config_dir: str, streams: Optional[Sequence[str]] = None) -> List[Tuple[str, str]]:
    """``(stream, config path)`` for each of ``streams`` (default :data:`STREAMS`) present in ``config_dir``.

    Raises:
        FileNotFoundError: ``config_dir`` is not a folder, a requested stream has no config, or none
        of the default streams has one.
    """
    if not osp.isdir(config_dir):
        raise FileNotFoundError(f'config folder not found: {config_dir}')
    wanted = list(streams) if streams else list(STREAMS)
    found = [(s, osp.join(config_dir, f'{s}.py')) for s in wanted if osp.isfile(osp.join(config_dir, f'{s}.py'))]
    if streams:
        missing = [s for s in streams if not osp.isfile(osp.join(config_dir, f'{s}.py'))]
        if missing:
            raise FileNotFoundError(f'{config_dir}: no config for stream(s) {missing} ({missing[0]}.py)')
    if not found:
        raise FileNotFoundError(f'{config_dir}: none of {", ".join(s + ".py" for s in STREAMS)} found')
    return found


def default_work_root(config_dir: str) -> str:
    """``work_dirs/<config_dir relative to configs>``: the folder holding one work dir per stream
    (PYSKL's layout, e.g. ``work_dirs/dgstgcn/ntu60_xsub_3dkp/j``)."""
    from .train import default_work_dir

    return osp.dirname(default_work_dir(osp.join(config_dir, 'j.py')))


def _first_difference(a, b, path: str = 'config') -> Optional[str]:
    """The first path where two plain-data trees differ (``'config.model.backbone.base_channels: 8 vs 16'``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            found = _first_difference(a.get(key), b.get(key), f'{path}.{key}')
            if found:
                return found
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, f'{path}[{i}]')
            if found:
                return found
        return None
    return None if a == b else f'{path}: {a!r} (the run) vs {b!r} (now)'


def stream_state(work_dir: str, max_epochs: int, cfg=None) -> Tuple[str, Optional[str]]:
    """The state of the run in ``work_dir`` and its checkpoint, from the checkpoint's contents.

    Returns:
        tuple: ``('finished', path)`` when the checkpoint a resumed run would start from loads
        (:func:`pyskl.engine.checkpoint.load_checkpoint_file`) and its ``meta['epoch']`` is ``max_epochs``;
        ``('unfinished', path)`` when it holds an earlier epoch, or cannot be read (training resumes and then
        reports the file); ``('new', None)`` without a checkpoint.

    Raises:
        ValueError: the checkpoint holds more epochs than ``max_epochs``, or (given the resolved ``cfg``) its stored
            config has another ``model`` or ``ann_file`` (the config or its options changed since: the old results
            would be reported as this configuration's).
    """
    from pyskl.core.config_data import CONFIG_KEY, config_to_data
    from pyskl.engine.checkpoint import load_checkpoint_file
    from pyskl.engine.checkpoint_hook import find_resume_checkpoint

    ckpt = find_resume_checkpoint(work_dir)
    if ckpt is None:
        return 'new', None
    try:
        meta = load_checkpoint_file(ckpt).get('meta') or {}
    except (OSError, ValueError, RuntimeError):
        return 'unfinished', ckpt
    epoch = meta.get('epoch') if isinstance(meta, dict) else None
    stored = meta.get(CONFIG_KEY) if isinstance(meta, dict) else None
    if cfg is not None and isinstance(stored, dict):
        now = config_to_data(cfg)
        for key in ('model', 'ann_file'):
            found = _first_difference(stored.get(key), now.get(key), f'config.{key}')
            if found:
                raise ValueError(
                    f'{ckpt}: the run in {work_dir} was trained with another configuration ({found}); its results '
                    "are not this one's: use another --work-root (or remove that run)"
                )
    if epoch == max_epochs:
        return 'finished', ckpt
    if isinstance(epoch, int) and epoch > max_epochs:
        raise ValueError(
            f'{ckpt}: trained for {epoch} epochs but the config has max_epochs={max_epochs}; '
            'use another --work-root or the config it was trained with'
        )
    return 'unfinished', ckpt


def _test_split(cfg) -> Tuple[str, Optional[str]]:
    """``(ann_file, split)`` of ``cfg``'s test dataset (through dataset wrappers)."""
    ds = cfg.test_dataloader.dataset
    while 'ann_file' not in ds and 'dataset' in ds:
        ds = ds.dataset
    if 'ann_file' not in ds:
        raise ValueError(f'{cfg.filename}: test_dataloader.dataset has no ann_file')
    return ds.ann_file, ds.get('split')


def results_ready(result: str, dump: str, labels) -> bool:
    """Whether ``result`` (PYSKL ``result.pkl``) and ``dump`` (MMAction2 dump) both load
    (:func:`pyskl.core.results.load_results`) and predict the samples of ``labels`` (a
    :class:`~pyskl.core.results.StreamResult` of the test split, :func:`~pyskl.core.results.load_split_labels`):
    one row per sample, the dump's names and labels in the split's order. Nothing is read from file times."""
    from pyskl.core.results import load_results
    from pyskl.evaluation.fusion import align_streams

    if not (osp.isfile(result) and osp.isfile(dump)):
        return False
    try:
        res, dmp = load_results(result), load_results(dump)
        if dmp.names is None or dmp.names != labels.names or dmp.labels is None:
            return False
        align_streams([res, dmp], labels)
    except (OSError, ValueError):
        return False
    return res.num_classes == dmp.num_classes


@dataclass
class _Stream:
    name: str
    config: str
    work_dir: str
    max_epochs: int
    state: str
    checkpoint: Optional[str]
    result: str
    dump: str
    trained: bool = False
    tested: bool = False
    metrics: Dict[str, float] = field(default_factory=dict)


def _experiment_name(stream: str, phase: str) -> str:
    """Unique per runner: mmengine keys its ``MessageHub`` / logger instances by it (plus a timestamp in seconds,
    which two short runs can share)."""
    return f'{stream}_{phase}_{uuid.uuid4().hex[:8]}'


def run_stream(
    config: str,
    work_dir: str,
    options: TrainOptions,
    train: bool,
    resume: bool,
    launcher: str = 'none',
    stream: str = 'stream',
) -> str:
    """Train (when ``train``; resuming from the work dir's checkpoint when ``resume``) and test one stream in this
    process (one rank of a torchrun launch when ``launcher='pytorch'``), writing ``result.pkl`` and ``dump.pkl``
    into ``work_dir``.

    Returns:
        str: the tested (final) checkpoint.
    """
    from .test import run_test, setup_test_cfg
    from .train import setup_train_cfg, train_model

    if train:
        cfg = setup_train_cfg(
            config,
            work_dir=work_dir,
            resume='auto' if resume else None,
            no_resume=not resume,
            amp=options.amp,
            seed=options.seed,
            deterministic=options.deterministic,
            auto_scale_lr=options.auto_scale_lr,
            cfg_options=options.cfg_options,
            launcher=launcher,
            validate=options.validate,
        )
        cfg.experiment_name = _experiment_name(stream, 'train')
        train_model(cfg)
        from mmengine.dist import barrier

        barrier()  # rank 0 has written the last checkpoint before any rank reads it
    state, ckpt = stream_state(work_dir, _max_epochs(config, options))
    if state != 'finished':
        raise RuntimeError(f'{stream}: training ended without a final checkpoint in {work_dir}')
    cfg = setup_test_cfg(
        config,
        work_dir=work_dir,
        out=osp.join(work_dir, 'result.pkl'),
        dump=osp.join(work_dir, 'dump.pkl'),
        cfg_options=options.cfg_options,
        launcher=launcher,
        checkpoint=ckpt,
    )
    cfg.experiment_name = _experiment_name(stream, 'test')
    run_test(cfg, ckpt)
    return ckpt


def _max_epochs(config: str, options: TrainOptions) -> int:
    from pyskl.core.config import load_config

    return int(load_config(config, options.cfg_options).train_cfg.max_epochs)


def _torchrun(
    gpus: int, stream: str, config: str, work_dir: str, options: TrainOptions, train: bool, resume: bool
) -> List[str]:
    """One torchrun launch that trains (if needed) and tests one stream on ``gpus`` processes. ``PORT``,
    ``MASTER_ADDR``, ``NNODES`` and ``NODE_RANK`` come from the environment, as for ``tools/torchrun.sh``."""
    env = os.environ
    port = env.get('PORT', '29500')
    argv = [
        sys.executable,
        '-m',
        'pyskl.cli.torchrun',  # torch.distributed.run without its closing traceback
        f'--nnodes={env.get("NNODES", "1")}',
        f'--node_rank={env.get("NODE_RANK", "0")}',
        f'--master_addr={env.get("MASTER_ADDR", "127.0.0.1")}',
        f'--master_port={port}',
        f'--nproc_per_node={gpus}',
        '-m',
        'pyskl.cli.streams',
        '--worker',
        stream,
        config,
        work_dir,
    ]
    argv += (['--train'] if train else []) + (['--resume'] if resume else [])
    return argv + options.to_argv()


def run_streams(
    config_dir: str,
    gpus: int = 1,
    options: Optional[TrainOptions] = None,
    work_root: Optional[str] = None,
    streams: Optional[Sequence[str]] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> dict:
    """Train, test and fuse the streams of ``config_dir`` (see the module docstring).

    Args:
        config_dir (str): folder with ``j.py``, ``b.py``, ``jm.py``, ``bm.py`` (and ``k.py``, ``km.py``; any subset).
        gpus (int): processes per stream; 1 runs in this process, more launch torchrun once per stream.
        options (TrainOptions, optional): training options for every stream.
        work_root (str, optional): parent of the per-stream work dirs; default :func:`default_work_root`.
        streams (Sequence[str], optional): restrict to these streams.
        progress (callable, optional): receives one line per step (e.g. ``'j: training ...'``).

    Returns:
        dict: ``streams``: ``{name: dict(config, work_dir, checkpoint, result, dump, state (before this call),
        trained, tested, metrics)}``; ``fusions``: ``{'2s' | '4s' | '6s': dict(streams, weights, metrics)}`` for the
        fusions whose streams are all present; metrics as in :func:`pyskl.evaluation.fusion.evaluate_scores`
        (``top1``, ``top5``, ``mean1`` in ``[0, 1]``).
    """
    import subprocess

    from pyskl.core.results import load_split_labels
    from pyskl.evaluation.fusion import STREAM_WEIGHTS, fuse_result_files

    say = progress or (lambda line: None)
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise ValueError(f'GPUS must be an int >= 1, got {gpus!r}')
    options = options or TrainOptions()
    configs = find_stream_configs(config_dir, streams)
    work_root = work_root or default_work_root(config_dir)

    runs: Dict[str, _Stream] = {}
    for name, config in configs:
        from pyskl.core.config import load_config

        cfg = load_config(config, options.cfg_options)
        work_dir = osp.join(work_root, name)
        max_epochs = int(cfg.train_cfg.max_epochs)
        state, ckpt = stream_state(work_dir, max_epochs, cfg)
        run = _Stream(
            name,
            config,
            work_dir,
            max_epochs,
            state,
            ckpt,
            osp.join(work_dir, 'result.pkl'),
            osp.join(work_dir, 'dump.pkl'),
        )
        train = state != 'finished'
        if train:
            say(f'{name}: ' + ('resuming' if state == 'unfinished' else 'training') + f' {config} in {work_dir}')
        else:
            say(f'{name}: finished ({ckpt}: epoch {max_epochs} of {max_epochs}); training skipped')
        labels = load_split_labels(*_test_split(cfg))
        if not train and results_ready(run.result, run.dump, labels):
            say(f'{name}: test results are up to date ({run.result}, {run.dump}: {len(labels)} samples); test skipped')
        elif gpus == 1:
            run.checkpoint = run_stream(
                config, work_dir, options, train=train, resume=state == 'unfinished', stream=name
            )
            run.trained, run.tested = train, True
        else:
            cmd = _torchrun(gpus, name, config, work_dir, options, train, state == 'unfinished')
            say(f'{name}: ' + ' '.join(cmd))
            proc = subprocess.run(cmd)
            if proc.returncode != 0:
                raise RuntimeError(f'{name}: torchrun exited with code {proc.returncode}: {" ".join(cmd)}')
            run.checkpoint = stream_state(work_dir, max_epochs)[1]
            run.trained, run.tested = train, True
        if run.tested and not results_ready(run.result, run.dump, labels):
            raise RuntimeError(
                f'{name}: the test did not write predictions for the {len(labels)} samples of the '
                f'test split ({run.result}, {run.dump})'
            )
        run.metrics = fuse_result_files([run.dump])['fused']
        runs[name] = run

    fusions = {}
    for fusion, weights in STREAM_WEIGHTS.items():
        if all(s in runs for s in weights):
            res = fuse_result_files([runs[s].dump for s in weights], list(weights.values()))
            fusions[fusion] = dict(streams=list(weights), weights=res['weights'], metrics=res['fused'])
    return dict(
        streams={
            name: dict(
                config=r.config,
                work_dir=r.work_dir,
                checkpoint=r.checkpoint,
                result=r.result,
                dump=r.dump,
                state=r.state,
                trained=r.trained,
                tested=r.tested,
                metrics=r.metrics,
            )
            for name, r in runs.items()
        },
        fusions=fusions,
    )

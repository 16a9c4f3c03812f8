"""Train, test and fuse a family of stream configs (``j.py``, ``b.py``, ``jm.py``, ``bm.py``): the
library behind ``tools/dist_run_streams.sh``.

    python -m pyskl.apis.streams CONFIG_DIR GPUS [--work-root DIR] [--streams j b ...] [train.py args]

For each stream config present in ``CONFIG_DIR`` (in the order j, b, jm, bm):

1. train with ``tools/train.py`` (GPUS = 1) or ``tools/dist_train.sh`` (GPUS > 1, torchrun) into
   ``<work root>/<stream>`` (default work root: PYSKL's ``work_dirs/<CONFIG_DIR relative to configs>``).
   The run is *finished* when the final epoch checkpoint ``epoch_<max_epochs>.pth`` exists (then
   training is skipped); *unfinished* when another checkpoint exists (training resumes with
   ``--resume``); otherwise it starts afresh;
2. test the final checkpoint with ``--out <work dir>/result.pkl`` (PYSKL format) and
   ``--dump <work dir>/dump.pkl`` (with labels and sample names, used for fusion); skipped when both
   files are newer than the checkpoint;
3. fuse: 2-stream J:B = 1:1 and 4-stream J:B:JM:BM = 2:2:1:1 (those whose streams are all present),
   print each stream's and each fusion's accuracies, then the Top-1 row of the model-zoo table.

Extra arguments go to ``tools/train.py``; its ``--cfg-options`` are also given to ``tools/test.py``
(and decide ``train_cfg.max_epochs``).
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

STREAMS = ('j', 'b', 'jm', 'bm')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

__all__ = ['STREAMS', 'find_stream_configs', 'stream_state', 'default_work_root', 'run_streams']


def find_stream_configs(config_dir: str, streams: Optional[Sequence[str]] = None) -> List[Tuple[str, str]]:
    """``(stream, config path)`` for each of ``streams`` (default j, b, jm, bm) present in ``config_dir``.

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


def stream_state(work_dir: str, max_epochs: int) -> str:
    """``'finished'`` (``epoch_<max_epochs>.pth`` exists), ``'unfinished'`` (another checkpoint or a
    ``last_checkpoint`` record exists: resume) or ``'new'``."""
    if osp.isfile(osp.join(work_dir, f'epoch_{max_epochs}.pth')):
        return 'finished'
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')) or glob.glob(osp.join(work_dir, 'epoch_*.pth')):
        return 'unfinished'
    return 'new'


def _cfg_option_tokens(args: Sequence[str]) -> List[str]:
    """The ``--cfg-options k=v ...`` tokens of a train.py command line (to pass them on to test.py)."""
    tokens, i = [], 0
    args = list(args)
    while i < len(args):
        if args[i] == '--cfg-options':
            tokens.append(args[i])
            i += 1
            while i < len(args) and not args[i].startswith('--'):
                tokens.append(args[i])
                i += 1
        else:
            i += 1
    return tokens


def _parse_cfg_options(tokens: Sequence[str]) -> Optional[dict]:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None)
    return parser.parse_known_args(list(tokens))[0].cfg_options


def _launch(script: str, gpus: int, args: List[str], python: str) -> List[str]:
    """The command running ``tools/<script>.py args``: plain python for one process, else
    ``tools/dist_<script>.sh`` (``dist_train.sh CONFIG GPUS ...``, ``dist_test.sh CONFIG CKPT GPUS ...``)."""
    if gpus == 1:
        return [python, osp.join(REPO, 'tools', f'{script}.py')] + args
    num_positional = 2 if script == 'test' else 1
    return (['bash', osp.join(REPO, 'tools', f'dist_{script}.sh')] + args[:num_positional] + [str(gpus)]
            + args[num_positional:])


def _run(cmd: List[str], env: dict) -> None:
    print('[streams] ' + ' '.join(cmd), flush=True)
    proc = subprocess.run(cmd, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f'command failed with exit code {proc.returncode}: {" ".join(cmd)}')


def run_streams(config_dir: str, gpus: int = 1, train_args: Sequence[str] = (), work_root: Optional[str] = None,
                streams: Optional[Sequence[str]] = None, python: str = sys.executable) -> Dict[str, dict]:
    """Train, test and fuse the streams of ``config_dir`` (see the module docstring).

    Args:
        config_dir (str): folder with ``j.py``, ``b.py``, ``jm.py``, ``bm.py`` (any subset).
        gpus (int): processes per run; 1 runs plain python, more run torchrun through the dist scripts.
        train_args (Sequence[str]): extra ``tools/train.py`` arguments (``--work-dir`` is not allowed:
            use ``work_root``).
        work_root (str, optional): parent of the per-stream work dirs; default :func:`default_work_root`.
        streams (Sequence[str], optional): restrict to these streams.
        python (str): interpreter for the tools.

    Returns:
        dict: ``{name: metrics}`` for each stream and each fusion (``'2s'``, ``'4s'``), metrics as in
        :func:`pyskl.evaluation.fusion.evaluate_scores`.
    """
    from pyskl.evaluation.fusion import STREAM_WEIGHTS, format_table, format_weights, fuse_result_files
    from pyskl.core.config import load_config

    if gpus < 1:
        raise ValueError(f'GPUS must be >= 1, got {gpus}')
    train_args = list(train_args)
    if '--work-dir' in train_args or any(a.startswith('--work-dir=') for a in train_args):
        raise ValueError('--work-dir is set per stream; use --work-root DIR for their parent folder')
    configs = find_stream_configs(config_dir, streams)
    work_root = work_root or default_work_root(config_dir)
    cfg_tokens = _cfg_option_tokens(train_args)
    cfg_options = _parse_cfg_options(cfg_tokens)
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')

    dumps = {}
    for stream, config in configs:
        cfg = load_config(config, cfg_options)
        max_epochs = int(cfg.train_cfg.max_epochs)
        work_dir = osp.join(work_root, stream)
        state = stream_state(work_dir, max_epochs)
        if state == 'finished':
            print(f'[streams] {stream}: finished (epoch_{max_epochs}.pth in {work_dir}); training skipped',
                  flush=True)
        else:
            print(f'[streams] {stream}: ' + ('resuming' if state == 'unfinished' else 'training') +
                  f' {config} in {work_dir}', flush=True)
            resume = ['--resume'] if state == 'unfinished' else []
            _run(_launch('train', gpus, [config, '--work-dir', work_dir] + resume + train_args, python), env)
        ckpt = osp.join(work_dir, f'epoch_{max_epochs}.pth')
        if not osp.isfile(ckpt):
            raise RuntimeError(f'{stream}: training ended without the final checkpoint {ckpt}')
        out, dump = osp.join(work_dir, 'result.pkl'), osp.join(work_dir, 'dump.pkl')
        if all(osp.isfile(f) and osp.getmtime(f) >= osp.getmtime(ckpt) for f in (out, dump)):
            print(f'[streams] {stream}: test results are up to date ({out}); test skipped', flush=True)
        else:
            _run(_launch('test', gpus, [config, ckpt, '--work-dir', work_dir, '--out', out, '--dump', dump]
                         + cfg_tokens, python), env)
        dumps[stream] = dump

    results, rows = {}, []
    for stream, dump in dumps.items():
        res = fuse_result_files([dump])
        results[stream] = res['fused']
        rows.append((stream, '-', res['fused']))
    for name, weights in STREAM_WEIGHTS.items():
        if all(s in dumps for s in weights):
            res = fuse_result_files([dumps[s] for s in weights], list(weights.values()))
            results[name] = res['fused']
            label = f'{name} ({"+".join(s.upper() for s in weights)})'
            rows.append((label, format_weights(res['weights']), res['fused']))
    print(format_table(rows))
    columns = [s.upper() for s in dumps] + [n for n in STREAM_WEIGHTS if n in results]
    values = [results[s] for s in dumps] + [results[n] for n in STREAM_WEIGHTS if n in results]
    print('| Config | ' + ' | '.join(f'{c} Top-1' for c in columns) + ' |')
    print('| ' + ' | '.join(['---'] * (len(columns) + 1)) + ' |')
    print(f'| {config_dir.rstrip("/")} | ' + ' | '.join(f'{100 * m["top1"]:.2f}' for m in values) + ' |', flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='dist_run_streams.sh', allow_abbrev=False,
        description='Train, test and fuse the j/b/jm/bm stream configs of a folder; other arguments go to '
        'tools/train.py (its --cfg-options also to tools/test.py)')
    parser.add_argument('config_dir', help='folder with j.py, b.py, jm.py, bm.py')
    parser.add_argument('gpus', type=int, help='processes per run (1: plain python, >1: torchrun)')
    parser.add_argument('--work-root', help='parent of the per-stream work dirs '
                        '(default: work_dirs/<config dir relative to configs>)')
    parser.add_argument('--streams', nargs='+', choices=STREAMS, help='only these streams')
    args, train_args = parser.parse_known_args(argv)
    try:
        run_streams(args.config_dir, args.gpus, train_args, work_root=args.work_root, streams=args.streams,
                    python=os.environ.get('PYTHON') or sys.executable)
    except (RuntimeError, FileNotFoundError, ValueError) as e:
        print(f'dist_run_streams: error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Crash-safe checkpoint saving that never deletes what the current run did not write.

mmengine's ``CheckpointHook`` deletes the oldest checkpoint (``max_keep_ckpts``) and the previous
best one *before* writing their replacements, and deletes by file name, so a run started in a work
dir that already holds another run's ``epoch_N.pth`` deletes that run's files. With
``max_keep_ckpts=1`` a kill during a save left no loadable checkpoint.

:class:`SafeCheckpointHook` keeps mmengine's options and message-hub bookkeeping and changes the
order and the scope of every file operation:

1. the new checkpoint is written completely (``PysklRunner.save_checkpoint``: temporary file,
   fsync, ``os.replace``, directory fsync);
2. ``last_checkpoint`` (mmengine's resume pointer) is replaced atomically, then ``latest.pth``
   (PYSKL's name for the newest checkpoint: a hard link, or a copy where hard links are
   unsupported) the same way;
3. only then is an old checkpoint (``max_keep_ckpts``) or the previous best removed, and only if
   this process wrote it. A file of an earlier run that the new run would overwrite is renamed
   aside (``epoch_1.pth`` -> ``epoch_1.before-<its mtime>.pth``), never replaced.

When the epoch is validated, its checkpoint is saved after the validation (mmengine saves it before,
then once more when the best improved), so ``epoch_N.pth`` always records the best checkpoint of
epochs 1..N: a run killed during validation resumes from ``epoch_{N-1}.pth`` and repeats epoch N
(identically) instead of skipping its validation.

Temporary files of a killed save (``.<name>.<pid>.<hex>.tmp``) are never taken for checkpoints and
are removed by the next ``before_train`` or save. :func:`find_resume_checkpoint` picks the checkpoint a re-run resumes.
"""

import os
import os.path as osp
import re
import time
from typing import Optional, Set

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook, Hook

from pyskl.core.fileio import fsync_dir, link_or_copy_atomic, remove_stale_temp_files, write_text_atomic
from pyskl.registry import HOOKS
from .checkpoint.writing import restore_history_buffers, store_config, to_weights_only

LATEST = 'latest.pth'
LAST_CHECKPOINT = 'last_checkpoint'
_NUMBERED = re.compile(r'^(epoch|iter)_(\d+)\.pth$')

__all__ = ['SafeCheckpointHook', 'find_resume_checkpoint', 'LATEST', 'LAST_CHECKPOINT']


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint a run in ``work_dir`` continues from, or None when it holds none.

    In order: the file named by ``last_checkpoint``, ``latest.pth``, the ``epoch_N.pth`` with the
    largest N, the ``iter_N.pth`` with the largest N. Temporary files of an interrupted save are
    never returned. The file's contents are not checked here.

    ``last_checkpoint`` holds an absolute path (mmengine's format). A file of that base name in
    ``work_dir`` comes first, so a work dir that was moved or copied continues from its own files,
    not from the folder it was copied from; a recorded file outside ``work_dir`` (a checkpoint hook's
    ``out_dir``) is used only when ``work_dir`` holds no checkpoint of its own.
    """
    if not osp.isdir(work_dir):
        return None
    latest = osp.join(work_dir, LATEST)
    numbered = {'epoch': [], 'iter': []}
    for name in os.listdir(work_dir):
        m = _NUMBERED.match(name)
        if m and osp.isfile(osp.join(work_dir, name)):
            numbered[m.group(1)].append((int(m.group(2)), name))
    own = [osp.join(work_dir, max(numbered[kind])[1]) for kind in ('epoch', 'iter') if numbered[kind]]
    if osp.isfile(latest):
        own.insert(0, latest)
    record = osp.join(work_dir, LAST_CHECKPOINT)
    if osp.isfile(record):
        with open(record) as f:
            recorded = f.read().strip()
        if recorded:
            local = osp.join(work_dir, osp.basename(recorded))
            if osp.isfile(local):
                return local
            recorded = recorded if osp.isabs(recorded) else osp.join(work_dir, recorded)
            if osp.isfile(recorded) and (not own or _inside(recorded, work_dir)):
                return recorded
    return own[0] if own else None


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` lies in ``folder`` (symbolic links resolved)."""
    path, folder = osp.realpath(path), osp.realpath(folder)
    return osp.commonpath([path, folder]) == folder


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments) with crash-safe ordering (see the module
    docstring), ``latest.pth``, and deletions limited to files this process wrote.

    Args:
        latest (bool): maintain ``<out_dir>/latest.pth``. Defaults to True.
        **kwargs: :class:`mmengine.hooks.CheckpointHook` arguments.

    ``PysklRunner`` substitutes this hook for a plain ``CheckpointHook`` in any config. With a
    non-local ``out_dir`` (``backend_args``, ``file_client_args``) it behaves like mmengine's hook
    except that it still deletes only after writing and only what it wrote.
    """

    def __init__(self, *args, latest: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.args:
            # mmengine keeps unknown arguments and passes them to runner.save_checkpoint at the first save, after
            # an epoch of training; no runner's save_checkpoint takes any beyond those the hook passes itself
            import difflib
            import inspect

            known = [p for p in inspect.signature(CheckpointHook.__init__).parameters if p not in ('self', 'kwargs')]
            name = sorted(self.args)[0]
            close = difflib.get_close_matches(name, known + ['latest'], n=1)
            hint = f' (did you mean {close[0]!r}?)' if close else ''
            raise TypeError(f'{type(self).__name__}.__init__() got an unexpected keyword argument {name!r}{hint}')
        self.latest = latest
        self._written: Set[str] = set()
        self._pending_epoch_save = False

    # -- set-up ---------------------------------------------------------------------------------
    def before_train(self, runner) -> None:
        # mmengine removes the overflow of the resumed ``keep_ckpt_ids`` here: those files were
        # written by an earlier run, so they are kept (the deque below drops the ids only)
        max_keep, self.max_keep_ckpts = self.max_keep_ckpts, -1
        try:
            super().before_train(runner)
        finally:
            self.max_keep_ckpts = max_keep
        if max_keep > 0:
            from collections import deque

            self.keep_ckpt_ids = deque(runner.message_hub.get_info('keep_ckpt_ids', []), max_keep)
        self._local = self.file_client_args is None and isinstance(self.file_backend, LocalBackend)
        if self._local and not getattr(runner, 'saves_atomically', False):
            runner.logger.warning(
                f'{type(runner).__name__} writes checkpoints in place: a kill during a save '
                "can leave a truncated file (use runner_type='PysklRunner')"
            )
        if self._local and is_main_process():
            self._repair(runner)

    def _repair(self, runner) -> None:
        """Finish what a killed save left undone (a resumed run may have no epoch left to save):
        remove its temporary files and point ``latest.pth`` at the checkpoint ``last_checkpoint``
        names."""
        out_dir = osp.abspath(self.out_dir)
        for tmp in remove_stale_temp_files(out_dir):
            runner.logger.info(f'Removed {tmp}, left by an interrupted save')
        record = osp.join(runner.work_dir, LAST_CHECKPOINT)
        if not (self.latest and osp.isfile(record)):
            return
        with open(record) as f:
            last = f.read().strip()
        latest = self._path(LATEST)
        if (
            last
            and osp.dirname(osp.abspath(last)) == out_dir
            and osp.isfile(last)
            and not (osp.isfile(latest) and osp.samefile(last, latest))
        ):
            link_or_copy_atomic(last, latest)

    # -- file operations ------------------------------------------------------------------------
    def _path(self, filename: str) -> str:
        return self.file_backend.join_path(self.out_dir, filename)

    def _key(self, path: str) -> str:
        return osp.realpath(path) if self._local else str(path)

    def _set_aside(self, runner, path: str) -> None:
        """Rename a file of an earlier run that the coming save would replace."""
        stem, ext = osp.splitext(path)
        stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime(osp.getmtime(path)))
        target, n = f'{stem}.before-{stamp}{ext}', 1
        while osp.lexists(target):
            target, n = f'{stem}.before-{stamp}-{n}{ext}', n + 1
        os.rename(path, target)
        fsync_dir(osp.dirname(target))
        runner.logger.warning(f'{path} was not written by this run: kept as {target}')

    def _save(self, runner, filename: str, **kwargs) -> str:
        """Write checkpoint ``filename`` through ``runner.save_checkpoint`` (atomic with
        ``PysklRunner``); an earlier run's file of that name is renamed aside first."""
        path = self._path(filename)
        if is_main_process() and self._local:
            for tmp in remove_stale_temp_files(osp.dirname(osp.abspath(path))):
                runner.logger.info(f'Removed {tmp}, left by an interrupted save')
            if osp.lexists(path) and self._key(path) not in self._written:
                self._set_aside(runner, path)
        runner.save_checkpoint(self.out_dir, filename, self.file_client_args, backend_args=self.backend_args, **kwargs)
        self._written.add(self._key(path))
        return path

    def _remove(self, runner, path: Optional[str], keep: Optional[str] = None) -> None:
        """Delete ``path`` if this process wrote it (and it is not ``keep``); else keep it."""
        if not path or not is_main_process() or (keep is not None and self._key(path) == self._key(keep)):
            return
        if self._key(path) not in self._written:
            if self.file_backend.exists(path):
                runner.logger.info(f'Kept {path}: it was not written by this run')
            return
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
            if self._local:
                fsync_dir(osp.dirname(osp.abspath(path)))
        elif self.file_backend.isdir(path):  # deepspeed checkpoints are folders
            self.file_backend.rmtree(path)
        self._written.discard(self._key(path))
        runner.logger.info(f'Removed the old checkpoint {path}')

    def _publish_pointers(self, runner) -> None:
        """Point ``last_checkpoint`` and ``latest.pth`` at ``self.last_ckpt`` (atomically)."""
        if not is_main_process():
            return
        write_text_atomic(osp.join(runner.work_dir, LAST_CHECKPOINT), str(self.last_ckpt))
        if self.latest and self._local:
            link_or_copy_atomic(self.last_ckpt, self._path(LATEST))

    # -- mmengine's save paths, reordered ---------------------------------------------------------
    def _validates_after_this_epoch(self, runner) -> bool:
        """Whether mmengine's ``EpochBasedTrainLoop`` validates right after the current epoch."""
        loop = runner.train_loop
        if getattr(runner, '_val_loop', None) is None or not all(
            hasattr(loop, k) for k in ('val_begin', 'val_interval', 'max_epochs')
        ):
            return False
        epoch = runner.epoch + 1  # the loop counts the epoch after the after_train_epoch hooks
        return epoch >= loop.val_begin and (epoch % loop.val_interval == 0 or epoch == loop.max_epochs)

    def after_train_epoch(self, runner) -> None:
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval, self.save_begin) or (
            self.save_last and self.is_last_train_epoch(runner)
        ):
            if self._validates_after_this_epoch(runner):
                self._pending_epoch_save = True  # saved in after_val_epoch, with the validation's outcome
                return
            runner.logger.info(f'Saving checkpoint at {runner.epoch + 1} epochs')
            self._save_checkpoint(runner)

    def after_val_epoch(self, runner, metrics) -> None:
        pending, self._pending_epoch_save = self._pending_epoch_save, False
        replaced = []
        if metrics:
            replaced = self._save_best_checkpoint(runner, metrics, resave_last=not pending)
        else:
            runner.logger.warning('Validation returned no metrics: the best checkpoint is not updated.')
        if pending:
            runner.logger.info(f'Saving checkpoint at {runner.epoch} epochs')
            self._save_checkpoint_with_step(runner, runner.epoch, dict(epoch=runner.epoch, iter=runner.iter))
        for old_path, new_path in replaced:
            self._remove(runner, old_path, keep=new_path)

    def _save_checkpoint_with_step(self, runner, step, meta):
        drop = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                drop = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self._path(filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._save(
            runner,
            filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            **self.args,
        )
        self._publish_pointers(runner)
        if drop is not None:
            self._remove(runner, self._path(self.filename_tmpl.format(drop)), keep=self.last_ckpt)

    def _save_best_checkpoint(self, runner, metrics, resave_last: bool = True) -> list:
        """Write the new best checkpoint(s); returns ``[(previous best, new best)]`` for the caller
        to remove once the checkpoint recording the new best is written. With ``resave_last`` the
        last checkpoint is re-saved here (as mmengine does) so that it records the new best."""
        if not self.save_best:
            return []
        if self.by_epoch:
            ckpt_filename, cur_type, cur_time = self.filename_tmpl.format(runner.epoch), 'epoch', runner.epoch
        else:
            ckpt_filename, cur_type, cur_time = self.filename_tmpl.format(runner.iter), 'iter', runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])

        single = len(self.key_indicators) == 1
        replaced = []
        for key_indicator, rule in zip(self.key_indicators, self.rules):
            score_key = 'best_score' if single else f'best_score_{key_indicator}'
            ckpt_key = 'best_ckpt' if single else f'best_ckpt_{key_indicator}'
            old_path = self.best_ckpt_path if single else self.best_ckpt_path_dict.get(key_indicator)
            best_score = runner.message_hub.get_info(score_key, self.init_value_map[rule])
            key_score = metrics[key_indicator]
            if key_score is None or not self.is_better_than[key_indicator](key_score, best_score):
                continue
            runner.message_hub.update_info(score_key, key_score)
            best_name = f'best_{key_indicator}_{ckpt_filename}'.replace('/', '_')
            new_path = self._path(best_name)
            if single:
                self.best_ckpt_path = new_path
            else:
                self.best_ckpt_path_dict[key_indicator] = new_path
            runner.message_hub.update_info(ckpt_key, new_path)
            self._save(runner, best_name, save_optimizer=False, save_param_scheduler=False, meta=meta, by_epoch=False)
            runner.logger.info(
                f'The best checkpoint with {key_score:0.4f} {key_indicator} '
                f'at {cur_time} {cur_type} is saved to {best_name}.'
            )
            replaced.append((old_path, new_path))

        if replaced and resave_last and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, cur_time, meta)
        return replaced


@HOOKS.register_module()
class WeightsOnlyCheckpointHook(Hook):
    """Make saved checkpoints loadable with ``torch.load(weights_only=True)`` and restore
    the message hub's HistoryBuffers on load.

    Runs with the lowest priority so that it sees what other hooks add in
    ``before_save_checkpoint``. ``PysklRunner`` registers it when a config does not.
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if getattr(runner, 'cfg', None) is not None:
            store_config(runner.cfg, checkpoint)
        for key in list(checkpoint):
            checkpoint[key] = to_weights_only(checkpoint[key], f'checkpoint.{key}')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if isinstance(checkpoint.get('message_hub'), dict):
            restore_history_buffers(checkpoint['message_hub'])

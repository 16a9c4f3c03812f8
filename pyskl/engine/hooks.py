"""Runtime hooks: progress of the validation / test loops."""

import sys
import time
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from pyskl.registry import HOOKS


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f'{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'


class _LineProgress:
    """Progress as whole lines (``val: 12/45 batches (27%), 0:00:03 elapsed, eta 0:00:08``), for a stream that is
    not a terminal: a redirected log gets complete lines that never run into the logger's lines."""

    def __init__(self, total: Optional[int], desc: str, stream, mininterval: float):
        self.total, self.desc, self.stream, self.mininterval = total, desc, stream, mininterval
        self.n, self.start = 0, time.monotonic()
        self.last = None
        self._emit()

    def _emit(self) -> None:
        elapsed = time.monotonic() - self.start
        text = f'{self.desc}: {self.n}/{self.total if self.total is not None else "?"} batches'
        if self.total:
            text += f' ({100 * self.n // self.total}%)'
        text += f', {_clock(elapsed)} elapsed'
        if self.total and self.n:
            text += f', eta {_clock(elapsed / self.n * (self.total - self.n))}'
        self.stream.write(text + '\n')
        self.stream.flush()
        self.last = time.monotonic()

    def update(self, k: int = 1) -> None:
        self.n += k
        if self.n == self.total or time.monotonic() - self.last >= self.mininterval:
            self._emit()

    def close(self) -> None:
        if self.total is None or self.n != self.total:
            self._emit()


@HOOKS.register_module()
class EvalProgressBarHook(Hook):
    """Show the progress (batches of rank 0's share, with the elapsed time and an ETA) of val / test loops.

    On a terminal it is a tqdm bar; when stderr is redirected (a log file, a pipe) it is a line every
    ``line_interval`` seconds and one at the end, so the bar's carriage returns never garble a log. Only the main
    process reports. Text logs of the loops are unaffected.

    Args:
        enable (bool): set False to silence it (e.g. in CI logs).
        mininterval (float): minimum seconds between bar refreshes on a terminal.
        line_interval (float): minimum seconds between progress lines when stderr is not a terminal.
    """

    priority = 'VERY_LOW'

    def __init__(self, enable: bool = True, mininterval: float = 1.0, line_interval: float = 10.0) -> None:
        self.enable = enable
        self.mininterval = mininterval
        self.line_interval = line_interval
        self._bar = None

    def _open(self, loop, desc: str) -> None:
        self._close()
        if not self.enable or not is_main_process():
            return
        total: Optional[int]
        try:
            total = len(loop.dataloader)
        except TypeError:
            total = None
        stream = sys.stderr
        if not stream.isatty():
            self._bar = _LineProgress(total, desc, stream, self.line_interval)
            return
        from tqdm import tqdm

        self._bar = tqdm(
            total=total,
            desc=desc,
            unit='batch',
            file=stream,
            dynamic_ncols=True,
            mininterval=self.mininterval,
            leave=False,
        )

    def _step(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def before_val_epoch(self, runner) -> None:
        self._open(runner.val_loop, 'val')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._close()

    def before_test_epoch(self, runner) -> None:
        self._open(runner.test_loop, 'test')

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._step()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._close()

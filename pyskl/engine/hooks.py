"""Runtime hooks: a progress bar for validation / test loops."""
import sys
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from pyskl.registry import HOOKS


@HOOKS.register_module()
class EvalProgressBarHook(Hook):
    """Show a tqdm progress bar (batches of rank 0's share) during val / test loops.

    Only the main process draws it. Text logs of the loops are unaffected.

    Args:
        enable (bool): set False to silence the bar (e.g. in CI logs).
        mininterval (float): minimum seconds between bar refreshes.
    """
    priority = 'VERY_LOW'

    def __init__(self, enable: bool = True, mininterval: float = 1.0) -> None:
        self.enable = enable
        self.mininterval = mininterval
        self._bar = None

    def _open(self, loop, desc: str) -> None:
        self._close()
        if not self.enable or not is_main_process():
            return
        from tqdm import tqdm
        total: Optional[int]
        try:
            total = len(loop.dataloader)
        except TypeError:
            total = None
        self._bar = tqdm(total=total, desc=desc, unit='batch', file=sys.stderr, dynamic_ncols=True,
                         mininterval=self.mininterval, leave=False)

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

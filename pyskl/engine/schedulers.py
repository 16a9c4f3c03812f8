"""Parameter schedulers whose length is the training's length.

``CosineToEndLR`` is mmengine's ``CosineAnnealingLR`` without a ``T_max`` to keep in sync: the runner gives
every scheduler without ``end`` the train loop's ``max_epochs`` (``max_iters`` for iteration-based
schedulers; times the epoch length with ``convert_to_iter_based=True``) when it builds it, and this scheduler
anneals from the optimizer's lr at ``begin`` to ``eta_min`` at the *last* step of training. On resume the
length comes from the current ``train_cfg``, not from the checkpoint, so a changed ``max_epochs`` takes effect.
"""

from mmengine.logging import print_log
from mmengine.optim.scheduler import CosineAnnealingLR
from mmengine.optim.scheduler.param_scheduler import INF

from pyskl.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class CosineToEndLR(CosineAnnealingLR):
    """Cosine annealing of the learning rate to ``eta_min`` at the last step of training.

    With ``N = end - begin`` steps (iterations, or epochs when ``by_epoch`` and not converted), the lr used at
    step ``begin + i`` is ``eta_min + (lr0 - eta_min) * (1 + cos(pi * i / (N - 1))) / 2``: ``lr0`` at the
    first step and exactly ``eta_min`` at the last one (mmengine's ``T_max = N`` would stop one step short
    of it). The value is computed in mmengine's chainable form, so after a resume with another ``end`` the
    lr continues from its current value along a cosine that reaches ``eta_min`` at the new last step
    (continuous and non-increasing).

    Args:
        optimizer (Optimizer | OptimWrapper): the wrapped optimizer.
        eta_min (float, optional): final lr. Defaults to 0 (unless ``eta_min_ratio``).
        begin (int): first step of the schedule. Defaults to 0.
        end (int): the step after the last one: left out in configs, the runner sets it to the length of
            training. Required (a schedule to infinity has no end to anneal to).
        last_step, by_epoch, verbose, eta_min_ratio: as in mmengine's ``CosineAnnealingLR``.
        T_max: not accepted (use mmengine's ``CosineAnnealingLR`` for a fixed length).
    """

    def __init__(
        self,
        optimizer,
        eta_min=None,
        begin=0,
        end=INF,
        last_step=-1,
        by_epoch=True,
        verbose=False,
        eta_min_ratio=None,
        T_max=None,
    ):
        if T_max is not None:
            raise ValueError(
                f'CosineToEndLR takes its length from the training (train_cfg.max_epochs); got '
                f'T_max={T_max}. Remove T_max, or use CosineAnnealingLR for a fixed length.'
            )
        if end >= INF:
            raise ValueError(
                'CosineToEndLR needs `end`: the runner sets it to the training length when the '
                'config leaves it out; built by hand, pass end=number of steps.'
            )
        super().__init__(
            optimizer,
            T_max=self._length(begin, end),
            eta_min=eta_min,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose,
            eta_min_ratio=eta_min_ratio,
        )

    @staticmethod
    def _length(begin, end):
        """``T_max`` such that the last step (``end - 1``) is at ``eta_min``."""
        return max(int(end) - int(begin) - 1, 1)

    def load_state_dict(self, state_dict: dict):
        """Load the saved progress (``last_step``, base values, ...) but keep this run's ``begin`` / ``end`` /
        ``T_max`` / ``by_epoch``: they follow the current ``train_cfg``, which may differ from the saved one."""
        keep = {k: getattr(self, k) for k in ('begin', 'end', 'T_max', 'by_epoch')}
        super().load_state_dict(state_dict)
        self.__dict__.update(keep)
        saved_end, saved_tmax = state_dict.get('end'), state_dict.get('T_max')
        if saved_end != self.end:
            print_log(
                f'CosineToEndLR: the saved schedule ended at step {saved_end}; this run ends at step '
                f'{self.end}: the lr anneals from its current value to eta_min at step {self.end - 1}.',
                logger='current',
            )
            if saved_tmax is not None and self.last_step >= saved_tmax and self.last_step < self.T_max:
                print_log(
                    'CosineToEndLR: the resumed schedule had already reached eta_min, so the added steps '
                    'train at eta_min. To anneal again, start a new run from the weights '
                    '(load_from=CKPT) instead of resuming.',
                    logger='current',
                    level=30,
                )

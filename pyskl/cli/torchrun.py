"""``python -m pyskl.cli.torchrun [torchrun arguments] SCRIPT [script arguments]``: torchrun (the same arguments and
behaviour, ``torch.distributed.run``) without its closing traceback when a process fails.

A pyskl process that stops on a bad input prints one ``error: ...`` line and exits with status 1; torchrun then
appended a Python traceback of its own and a ``ChildFailedError`` block (time, host, "To enable traceback see ...")
that buried that line. Here a failed run ends with one line naming the first failed rank and its exit status, and
the launcher exits with that status (128 + N for a process killed by signal N, as a shell reports it). The
processes' own output, tracebacks of real crashes included, is printed as before. Used by ``tools/torchrun.sh``
(``dist_train.sh``, ``dist_test.sh``).
"""

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    args = parse_args(argv)
    try:
        run(args)
    except ChildFailedError as e:
        rank, failure = e.get_first_failure()
        code = int(failure.exitcode)
        status = 128 - code if code < 0 else code  # a signal's negative code, as the shell's 128 + N
        how = f'was killed by signal {-code}' if code < 0 else f'exited with status {code}'
        print(f'error: {e.name}: rank {rank} {how} (its output above says why)', file=sys.stderr)
        return status if 0 < status < 256 else 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

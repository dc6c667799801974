"""``python -m tests.support.history --schedules 200 --seed 1``: many seeded schedules, a
summary table, the seed and replay command of every failing one (exit 1 if any failed)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.support.history.runner import ScheduleResult, run_schedules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.history", description=__doc__)
    parser.add_argument("--schedules", type=int, default=20, help="schedules to run (20)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first schedule (1)")
    parser.add_argument("--workdir", type=Path, default=None, help="logs (a temporary dir)")
    parser.add_argument("--stop", action="store_true", help="stop at the first failure")
    args = parser.parse_args(argv)
    seeds = list(range(args.seed, args.seed + args.schedules))

    def show(result: ScheduleResult) -> None:
        print(result.report(), flush=True)

    with tempfile.TemporaryDirectory(prefix="history-") as scratch:
        workdir = args.workdir or Path(scratch)
        summary = run_schedules(seeds, workdir, on_result=show, stop_on_failure=args.stop)
    print(summary.table())
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())

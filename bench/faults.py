"""The fault-injection suite at scale: N sends while events double, functions die
and providers fail; then automation runs (series through a delay, canceled ones,
throttled ones, batched ones) while events double and functions, automate among them,
die; then sends to a digest topic while events double and functions, digest among
them, die; prints what was injected and what came of it.

    .venv/bin/python bench/faults.py --messages 1000 --runs 100 --digest-users 20

Starts its own stack on free ports (the same timings as the end-to-end tests).
Exits non-zero if any message was lost, doubled or left with an incomplete history,
or any run lost, a step of one run twice, a throttle or a cancel not kept, a batched
run in no batch's mail or in two, or any digest item lost or released twice.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from herald_tools.local import automation_faults, digest_faults, faultsuite
from herald_tools.local.stack import Stack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--kill-every-s", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=60, help="automation runs in series")
    parser.add_argument("--digest-users", type=int, default=20, help="users with digests")
    args = parser.parse_args()

    stack = Stack.with_fast_clocks(Path(tempfile.mkdtemp(prefix="herald-faults-")))
    print("starting the local stack...", flush=True)
    stack.start()
    try:
        settings = faultsuite.FaultSettings(
            messages=args.messages,
            kill_every_s=args.kill_every_s,
            concurrency=args.concurrency,
            deadline_s=max(300.0, args.messages * 1.5),
        )
        report = faultsuite.run(stack, settings)
        print(report.render(), flush=True)
        runs = automation_faults.run(
            stack,
            automation_faults.AutomationFaultSettings(
                series=args.runs,
                canceled=max(1, args.runs // 4),
                kill_every_s=args.kill_every_s,
                concurrency=args.concurrency,
                deadline_s=max(300.0, args.runs * 3.0),
            ),
        )
        print(runs.render())
        digests = digest_faults.run(
            stack,
            digest_faults.DigestFaultSettings(
                users=args.digest_users,
                kill_every_s=args.kill_every_s,
                concurrency=args.concurrency,
            ),
        )
        print(digests.render())
    finally:
        stack.stop()
    return 0 if report.ok and runs.ok and digests.ok else 1


if __name__ == "__main__":
    sys.exit(main())

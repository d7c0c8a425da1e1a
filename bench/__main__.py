"""`python -m bench [dialogue | broadcast | staff] [options]`: the benchmarks (`make bench`).

Without a name, all three run with their default sizes (a few minutes on 2 cores); each prints
its tables: the figure, its baseline measured in the same run, their ratio and the target.
`python -m bench NAME --help` lists a bench's options (bigger sizes, backends, profiling).
"""

from __future__ import annotations

import asyncio
import datetime
import os
import platform
import sys

from bench import broadcast, dialogue, staff_queries

BENCHES = {"dialogue": dialogue.main, "broadcast": broadcast.main, "staff": staff_queries.main}


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"# {datetime.date.today().isoformat()}, {os.cpu_count()} cores ({model}), "
        f"Python {platform.python_version()}, load average at start {load}"
    )


def main() -> None:
    args = sys.argv[1:]
    print(machine(), flush=True)
    if args and args[0] in BENCHES:
        asyncio.run(BENCHES[args[0]](args[1:]))
        return
    if args:
        raise SystemExit(f"usage: python -m bench [{' | '.join(BENCHES)}] [options]")
    for run in BENCHES.values():
        asyncio.run(run([]))


if __name__ == "__main__":
    main()

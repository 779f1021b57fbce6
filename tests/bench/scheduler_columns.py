"""Why the scheduler decides on numpy columns: the same decisions, on the same table, with
every filter and weigher answering one host at a time (their `host_passes` / `weigh`
definitions) against their column forms. Prints the median decision time of each.

    python tests/bench/scheduler_columns.py [--hosts 1000,10000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from services.scheduler import bench
from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.base import BaseFilter
from services.scheduler.manager import decide
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher


def one_host_at_a_time(parts: Sequence[BaseFilter | BaseWeigher]) -> None:
    """Make each part answer through the base class's per-host loop."""
    for part in parts:
        if isinstance(part, BaseFilter):
            part.passes = BaseFilter.passes.__get__(part)  # type: ignore[method-assign]
        else:
            part.weights = BaseWeigher.weights.__get__(part)  # type: ignore[method-assign]


def median_ms(filters, weighers, table, specs: Sequence[RequestSpec]) -> float:  # type: ignore[no-untyped-def]
    decide(filters, weighers, table, specs[0])  # warm up
    samples = []
    for spec in specs:
        started = time.perf_counter()
        decide(filters, weighers, table, spec)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", default="1000,10000")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = SchedulerConfig()
    for hosts in (int(h) for h in args.hosts.split(",")):
        table = bench.table_of(bench.simulated_hosts(hosts, args.seed))
        specs = [r.spec for r in bench.simulated_requests(100, args.seed)]
        columns = median_ms(*bench.scheduler_parts(config), table, specs)
        filters, weighers = bench.scheduler_parts(config)
        one_host_at_a_time([*filters, *weighers])
        per_host = median_ms(filters, weighers, table, specs[:30])
        print(
            f"{hosts} hosts: median decision {columns:.2f} ms on columns, "
            f"{per_host:.2f} ms one host at a time ({per_host / columns:.0f}x)"
        )


if __name__ == "__main__":
    main()

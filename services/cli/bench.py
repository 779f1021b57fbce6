"""`stratus bench boot`: servers from API request to ACTIVE, against a running cloud.

Creates servers in batches (one CreateServers call per batch, as a client would), follows
them on one WatchServers stream, and reports the time each took from its request to
ACTIVE/RUNNING: median, p90, p99, max, and servers per second for the whole run. The
servers are deleted afterwards unless --keep.
"""

from __future__ import annotations

import asyncio
import json
import platform
import secrets
import statistics
import time
from dataclasses import asdict, dataclass

import click

from services.api.status import server_status
from services.cli import client
from services.cli.client import Stub
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t


@dataclass(frozen=True)
class BootReport:
    servers: int
    active: int
    errors: int
    wall_seconds: float
    servers_per_second: float
    p50_seconds: float
    p90_seconds: float
    p99_seconds: float
    max_seconds: float
    machine: str


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def boot(
    stub: Stub, count: int, batch: int, flavor: str, image: str, within_seconds: float
) -> tuple[BootReport, list[str]]:
    run = f"bench-{secrets.token_hex(3)}"  # only this run's servers count
    requested: dict[str, float] = {}
    finished: dict[str, float] = {}
    failed: set[str] = set()
    all_done = asyncio.Event()
    stream = stub.WatchServers(compute_pb2.WatchServersRequest(from_revision=0))

    async def follow() -> None:
        async for event in stream:
            server = event.server
            if not server.name.startswith(run) or server.id in finished or server.id in failed:
                continue
            status = server_status(server)
            if status == "ACTIVE" and server.power_state == t.POWER_STATE_RUNNING:
                finished[server.id] = time.perf_counter()
            elif status == "ERROR":
                failed.add(server.id)
            if len(finished) + len(failed) >= count:
                all_done.set()

    follower = asyncio.create_task(follow())
    started = time.perf_counter()
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        sent = time.perf_counter()
        reply = await stub.CreateServers(
            compute_pb2.CreateServersRequest(
                name=f"{run}-{offset}", flavor_ref=flavor, image_ref=image, min_count=size
            )
        )
        for server in reply.servers:
            requested[server.id] = sent
    try:
        await asyncio.wait_for(all_done.wait(), within_seconds)
    except TimeoutError:
        pass
    wall = time.perf_counter() - started
    follower.cancel()
    stream.cancel()
    latencies = [finished[i] - requested[i] for i in finished if i in requested]
    report = BootReport(
        servers=count,
        active=len(latencies),
        errors=len(failed),
        wall_seconds=round(wall, 3),
        servers_per_second=round(len(latencies) / wall, 1) if wall else 0.0,
        p50_seconds=round(statistics.median(latencies), 4) if latencies else 0.0,
        p90_seconds=round(percentile(latencies, 0.90), 4),
        p99_seconds=round(percentile(latencies, 0.99), 4),
        max_seconds=round(max(latencies, default=0.0), 4),
        machine=f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}",
    )
    return report, list(requested)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


@click.group()
def bench() -> None:
    """Measure a running cloud."""


@bench.command("boot")
@click.option("--servers", "count", type=click.IntRange(min=1), default=100, show_default=True)
@click.option(
    "--batch",
    type=click.IntRange(min=1, max=100),
    default=10,
    show_default=True,
    help="servers per CreateServers call",
)
@click.option("--flavor", default="1", show_default=True)
@click.option("--image", default="cirros", show_default=True)
@click.option(
    "--within",
    "within_seconds",
    type=float,
    default=300.0,
    show_default=True,
    help="give up waiting after this many seconds",
)
@click.option("--keep", is_flag=True, help="leave the servers running afterwards")
@client.connection_options
def bench_boot(
    count: int, batch: int, flavor: str, image: str, within_seconds: float, keep: bool
) -> None:
    """Boot servers and report request-to-ACTIVE latency and throughput."""

    async def measure(stub: Stub) -> BootReport:
        report, ids = await boot(stub, count, batch, flavor, image, within_seconds)
        if not keep:
            await asyncio.gather(
                *(stub.DeleteServer(compute_pb2.DeleteServerRequest(id=i)) for i in ids)
            )
        return report

    report = client.run(measure)
    click.echo(json.dumps(asdict(report), indent=2))
    if report.active < report.servers:
        raise click.ClickException(
            f"only {report.active} of {report.servers} servers reached ACTIVE "
            f"({report.errors} in ERROR)"
        )


def _host_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated host counts, got {text!r}") from exc
    if any(count < 1 for count in counts):
        raise click.BadParameter("host counts must be positive")
    return counts


@bench.command("scheduler")
@click.option("--hosts", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--requests", type=click.IntRange(min=1), default=2_000, show_default=True)
@click.option(
    "--curve",
    default="1000,10000,50000",
    show_default=True,
    help="host counts to repeat the decision run at ('' to skip)",
)
@click.option(
    "--committed",
    type=click.IntRange(min=0),
    default=2_000,
    show_default=True,
    help="placements to claim in a local etcd (0 to skip)",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="claims in flight at once",
)
@click.option("--seed", type=int, default=1, show_default=True)
def bench_scheduler(
    hosts: int, requests: int, curve: str, committed: int, concurrency: int, seed: int
) -> None:
    """Decisions per second over simulated hosts, and placements committed in etcd."""
    # Imported here: the other bench commands must not pay for numpy and the filters.
    from services.scheduler import bench as scheduler_bench

    report = scheduler_bench.run(hosts, requests, _host_counts(curve), committed, concurrency, seed)
    click.echo(json.dumps(report.as_dict(), indent=2))
    click.echo(scheduler_bench.human_table(report), err=True)

"""The scheduler measured on its own: decisions per second over simulated hosts, and claims.

`run_decisions` builds a HostTable of simulated hosts (a realistic mix of sizes, zones,
tenant-isolated and tagged aggregates, partly used) and places simulated requests (a mix
of flavors, zones, server groups, extra specs and image properties) one after another
on one core with the default filters and weighers, consuming each placement in the
table as a scheduler does. `run_committed` adds the real claim: a local etcd, the
host usage keys written, and `claims.claim` with `fits_now` for each placement, many in
flight at once. Used by `stratus bench scheduler`.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from services.scheduler import filters, weighers
from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.base import BaseFilter
from services.scheduler.host_state import DEFAULT_ZONE, HostState, HostTable
from services.scheduler.manager import decide, fits_now
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher
from services.state import claims
from services.state.etcd import ETCD_TXNS, Etcd
from services.state.etcd_server import EtcdServer
from services.state.store import Store
from stratus.v1 import types_pb2 as t

ZONES = ("az1", "az2", "az3")
TENANTS = tuple(f"project-{i}" for i in range(20))
ISOLATED_TENANTS = "project-0,project-1"  # the tenants owning the isolated aggregate
# (vcpus, ram MB, disk GB): tiny to large, small ones most common as in real clouds.
FLAVORS = ((1, 2048, 20), (2, 4096, 40), (4, 8192, 80), (8, 16384, 160), (16, 65536, 320))
FLAVOR_WEIGHTS = (30, 30, 20, 15, 5)
GROUP_POLICIES = ("anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity")
GROUPS = 20


@dataclass
class Request:
    spec: RequestSpec
    group: int = -1  # index of its server group, -1 for none


def simulated_hosts(count: int, seed: int) -> list[HostState]:
    """`count` hosts: 16/32/64 vCPUs, 64-512 GB, some zoned, isolated or tagged, partly used."""
    rng = random.Random(seed)
    hosts = []
    for i in range(count):
        vcpus = rng.choice((16, 32, 64))
        memory_mb = rng.choice((64, 128, 256, 512)) * 1024
        local_gb = rng.choice((500, 1000, 2000))
        metadata: dict[str, frozenset[str]] = {}
        zone = DEFAULT_ZONE
        if rng.random() < 0.6:  # most hosts are in a zoned aggregate
            zone = ZONES[i % len(ZONES)]
            metadata["availability_zone"] = frozenset({zone})
        if rng.random() < 0.05:
            metadata["filter_tenant_id"] = frozenset({ISOLATED_TENANTS})
        if rng.random() < 0.2:
            metadata["ssd"] = frozenset({"true"})
        if rng.random() < 0.1:
            metadata["max_instances_per_host"] = frozenset({"30"})
        arch = "aarch64" if rng.random() < 0.05 else "x86_64"
        hv_type = "qemu" if rng.random() < 0.1 else "kvm"
        ram_ratio = 1.5
        # Start each host partly used: up to about half of what it offers.
        vcpus_used = rng.randint(0, vcpus * 8)
        memory_used = rng.randint(0, memory_mb // 2)
        disk_used = rng.randint(0, local_gb // 2)
        hosts.append(
            HostState(
                name=f"host-{i:06d}",
                up=rng.random() > 0.01,
                enabled=rng.random() > 0.01,
                vcpus=vcpus,
                memory_mb=memory_mb,
                local_gb=local_gb,
                vcpus_used=vcpus_used,
                memory_mb_used=memory_used,
                local_gb_used=disk_used,
                instances=rng.randint(0, 25),
                ram_allocation_ratio=ram_ratio,
                availability_zone=zone,
                aggregate_metadata=metadata,
                host_ip=f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
                hypervisor_type=hv_type,
                supported_instances=frozenset({f"{arch}/{hv_type}/hvm"}),
                capabilities={
                    "hypervisor_type": hv_type,
                    "cpu_info:arch": arch,
                    "cpu_info:model": rng.choice(("Skylake", "Icelake", "Neoverse")),
                    "vcpus": str(vcpus),
                },
                recent_build_failures=rng.choice((1, 2, 3)) if rng.random() < 0.01 else 0,
            )
        )
    return hosts


def simulated_requests(count: int, seed: int) -> list[Request]:
    """`count` requests: mixed flavors; some zoned, grouped, with extra specs or image arch."""
    rng = random.Random(seed + 1)
    requests = []
    for i in range(count):
        vcpus, memory_mb, disk_gb = rng.choices(FLAVORS, FLAVOR_WEIGHTS)[0]
        extra_specs: dict[str, str] = {}
        image_properties: dict[str, str] = {}
        zone = rng.choice(ZONES) if rng.random() < 0.2 else ""
        group = rng.randrange(GROUPS) if rng.random() < 0.1 else -1
        roll = rng.random()
        if roll < 0.05:
            extra_specs["capabilities:hypervisor_type"] = "kvm"
        elif roll < 0.10:
            extra_specs["aggregate_instance_extra_specs:ssd"] = "true"
        elif roll < 0.12:
            extra_specs["capabilities:vcpus"] = ">= 32"
        if rng.random() < 0.1:
            image_properties["hw_architecture"] = "x86_64"
        spec = RequestSpec(
            instance_id=f"bench-{seed}-{i}",
            vcpus=vcpus,
            memory_mb=memory_mb,
            disk_gb=disk_gb,
            project_id=rng.choice(TENANTS),
            extra_specs=extra_specs,
            image_properties=image_properties,
            availability_zone=zone,
            group_policy=GROUP_POLICIES[group % len(GROUP_POLICIES)] if group >= 0 else "",
            group_rules={"max_server_per_host": "2"} if group >= 0 else {},
        )
        requests.append(Request(spec, group))
    return requests


def table_of(hosts: list[HostState]) -> HostTable:
    table = HostTable(capacity=max(1024, len(hosts)))
    for host in hosts:
        table.upsert(host)
    return table


def scheduler_parts(config: SchedulerConfig) -> tuple[list[BaseFilter], list[BaseWeigher]]:
    """The filters and weighers a scheduler with `config` runs."""
    return (
        filters.build(filters.names_from(config.enabled_filters), config),
        weighers.build(filters.names_from(config.weighers), config),
    )


class Placements:
    """What the requests placed so far hold: server group members per host."""

    def __init__(self) -> None:
        self.group_hosts: dict[int, Counter[str]] = {}

    def spec_for(self, request: Request) -> RequestSpec:
        if request.group < 0:
            return request.spec
        members = self.group_hosts.get(request.group, Counter())
        return replace(request.spec, group_hosts=dict(members))

    def placed(self, request: Request, host: str) -> None:
        if request.group >= 0:
            self.group_hosts.setdefault(request.group, Counter())[host] += 1


def consume(table: HostTable, host: str, spec: RequestSpec, sign: int = 1) -> None:
    """Add (or take back) the request's resources on `host`, as the scheduler's view does."""
    state = table.states[table.index[host]]
    table.upsert(
        replace(
            state,
            vcpus_used=state.vcpus_used + sign * spec.vcpus,
            memory_mb_used=state.memory_mb_used + sign * spec.memory_mb,
            local_gb_used=state.local_gb_used + sign * spec.disk_gb,
            instances=state.instances + sign,
        )
    )


@dataclass(frozen=True)
class DecisionReport:
    hosts: int
    requests: int
    placed: int
    no_valid_host: int
    decisions_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_us: float
    # Decisions and the table update after each, as a scheduler loop runs them.
    with_consume_per_second: float


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run_decisions(
    host_count: int, request_count: int, seed: int, config: SchedulerConfig | None = None
) -> DecisionReport:
    """Place `request_count` requests on `host_count` simulated hosts, one at a time."""
    config = config or SchedulerConfig()
    host_filters, host_weighers = scheduler_parts(config)
    table = table_of(simulated_hosts(host_count, seed))
    requests = simulated_requests(request_count, seed)
    placements = Placements()
    latencies: list[float] = []
    placed = 0
    # Warm the caches (numpy dispatch, category lookups) so the first request is typical.
    decide(host_filters, host_weighers, table, requests[0].spec)
    started = time.perf_counter()
    for request in requests:
        spec = placements.spec_for(request)
        before = time.perf_counter()
        decision = decide(
            host_filters,
            host_weighers,
            table,
            spec,
            host_subset_size=max(1, config.host_subset_size),
        )
        latencies.append(time.perf_counter() - before)
        if decision.ranked:
            host = decision.ranked[0]
            consume(table, host, spec)
            placements.placed(request, host)
            placed += 1
    wall = time.perf_counter() - started
    decide_total = sum(latencies)
    return DecisionReport(
        hosts=host_count,
        requests=request_count,
        placed=placed,
        no_valid_host=request_count - placed,
        decisions_per_second=round(request_count / decide_total, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 3),
        p99_ms=round(_percentile(latencies, 0.99) * 1000, 3),
        max_ms=round(max(latencies) * 1000, 3),
        mean_us=round(decide_total / request_count * 1e6, 1),
        with_consume_per_second=round(request_count / wall, 1),
    )


@dataclass(frozen=True)
class CommitReport:
    hosts: int
    requests: int
    concurrency: int
    committed: int
    no_valid_host: int
    wall_seconds: float
    committed_per_second: float
    claim_p50_ms: float
    claim_p99_ms: float
    cas_conflicts: int  # transactions that lost a race on the host's usage and were retried
    claims_lost: int  # claims whose host no longer fit when re-read: the next host was tried


def _txn_conflicts() -> float:
    return float(ETCD_TXNS.labels("conflict")._value.get())


async def _write_usage(store: Store, hosts: list[HostState]) -> None:
    """The usage keys of every host, 100 to a transaction (etcd allows 128 operations)."""
    for start in range(0, len(hosts), 100):
        batch = hosts[start : start + 100]
        ops = [
            store.host_usage.put_op(
                h.name,
                t.HostUsage(
                    host=h.name,
                    vcpus_used=h.vcpus_used,
                    memory_mb_used=h.memory_mb_used,
                    local_gb_used=h.local_gb_used,
                    instances=h.instances,
                ),
            )
            for h in batch
        ]
        await store.etcd.txn([], ops)


async def _commit(
    store: Store, host_count: int, request_count: int, concurrency: int, seed: int
) -> CommitReport:
    config = SchedulerConfig()
    host_filters, host_weighers = scheduler_parts(config)
    hosts = simulated_hosts(host_count, seed)
    table = table_of(hosts)
    await _write_usage(store, hosts)
    requests = simulated_requests(request_count, seed + 7)
    placements = Placements()
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    claim_latencies: list[float] = []
    outcome: Counter[str] = Counter()
    conflicts_before = _txn_conflicts()

    async def worker() -> None:
        while not queue.empty():
            request = queue.get_nowait()
            spec = placements.spec_for(request)
            decision = decide(host_filters, host_weighers, table, spec)
            for host in decision.ranked[:5]:
                state = table.states[table.index[host]]
                allocation = t.Allocation(
                    instance_id=spec.instance_id,
                    host=host,
                    vcpus=spec.vcpus,
                    memory_mb=spec.memory_mb,
                    local_gb=spec.disk_gb,
                )
                # Counted before etcd confirms, so the other workers' decisions see it.
                consume(table, host, spec)
                before = time.perf_counter()
                committed = await claims.claim(store, allocation, fits_now(state, spec))
                claim_latencies.append(time.perf_counter() - before)
                if committed is not None:
                    placements.placed(request, host)
                    outcome["committed"] += 1
                    break
                consume(table, host, spec, sign=-1)
                outcome["lost"] += 1
            else:
                outcome["no_valid_host"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return CommitReport(
        hosts=host_count,
        requests=request_count,
        concurrency=concurrency,
        committed=outcome["committed"],
        no_valid_host=outcome["no_valid_host"],
        wall_seconds=round(wall, 3),
        committed_per_second=round(outcome["committed"] / wall, 1),
        claim_p50_ms=round(statistics.median(claim_latencies) * 1000, 3),
        claim_p99_ms=round(_percentile(claim_latencies, 0.99) * 1000, 3),
        cas_conflicts=int(_txn_conflicts() - conflicts_before),
        claims_lost=outcome["lost"],
    )


def run_committed(host_count: int, request_count: int, concurrency: int, seed: int) -> CommitReport:
    """Decide and claim `request_count` placements against a real etcd on loopback."""
    with tempfile.TemporaryDirectory(prefix="stratus-bench-") as scratch:
        server = EtcdServer(os.path.join(scratch, "etcd"), log_file=os.path.join(scratch, "log"))
        server.start()
        try:

            async def measure() -> CommitReport:
                etcd = Etcd(server.endpoint)
                await etcd.connect()
                try:
                    return await _commit(Store(etcd), host_count, request_count, concurrency, seed)
                finally:
                    await etcd.close()

            return asyncio.run(measure())
        finally:
            server.stop()


def machine() -> dict[str, Any]:
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


@dataclass
class SchedulerBenchReport:
    machine: dict[str, Any]
    decisions: DecisionReport
    curve: list[DecisionReport] = field(default_factory=list)
    # Cost per decision relative to the smallest host count, over the host-count ratio:
    # at or below 1.0 the cost grows no faster than linearly with hosts.
    curve_growth: list[dict[str, float]] = field(default_factory=list)
    committed: CommitReport | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def growth(curve: list[DecisionReport]) -> list[dict[str, float]]:
    if not curve:
        return []
    base = curve[0]
    return [
        {
            "hosts": point.hosts,
            "hosts_ratio": round(point.hosts / base.hosts, 2),
            "cost_ratio": round(point.mean_us / base.mean_us, 2),
            "cost_ratio_per_host_ratio": round(
                (point.mean_us / base.mean_us) / (point.hosts / base.hosts), 3
            ),
        }
        for point in curve
    ]


def run(
    hosts: int,
    requests: int,
    curve: list[int],
    committed: int,
    concurrency: int,
    seed: int,
) -> SchedulerBenchReport:
    report = SchedulerBenchReport(machine(), run_decisions(hosts, requests, seed))
    report.curve = [run_decisions(n, requests, seed) for n in curve]
    report.curve_growth = growth(report.curve)
    if committed:
        report.committed = run_committed(hosts, committed, concurrency, seed)
    return report


def human_table(report: SchedulerBenchReport) -> str:
    lines = [
        f"{'hosts':>8} {'decisions/s':>12} {'mean us':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'placed':>7}",
    ]
    for point in [report.decisions, *report.curve]:
        lines.append(
            f"{point.hosts:>8} {point.decisions_per_second:>12} {point.mean_us:>9} "
            f"{point.p50_ms:>8} {point.p99_ms:>8} {point.max_ms:>8} {point.placed:>7}"
        )
    if report.committed:
        c = report.committed
        lines.append(
            f"committed: {c.committed}/{c.requests} at {c.committed_per_second}/s "
            f"({c.concurrency} in flight, {c.hosts} hosts), claim p50 {c.claim_p50_ms} ms "
            f"p99 {c.claim_p99_ms} ms, {c.cas_conflicts} CAS conflicts, "
            f"{c.claims_lost} claims lost"
        )
    m = report.machine
    lines.append(f"machine: {m['cpus']} CPUs ({m['cpu_model']}), Python {m['python']}")
    return "\n".join(lines)

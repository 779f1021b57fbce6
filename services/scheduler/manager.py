"""One placement decision: filter, weigh, claim in etcd; on a lost race, the next host."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

import structlog
from prometheus_client import Counter, Histogram

from services.scheduler.filters.base import AllocationRatios, BaseFilter
from services.scheduler.host_state import HostState, HostStateView
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers import weigh
from services.scheduler.weighers.base import BaseWeigher
from services.state import claims
from services.state.store import Store
from stratus.v1 import scheduler_pb2, types_pb2

log = structlog.get_logger(__name__)

DECISIONS = Counter(
    "stratus_scheduler_decisions_total",
    "Placement decisions, by outcome (placed or no_valid_host).",
    ["outcome"],
)
DECISION_SECONDS = Histogram(
    "stratus_scheduler_decision_seconds",
    "Time to filter and weigh hosts for one request (claim excluded).",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
FILTER_REJECTIONS = Counter(
    "stratus_scheduler_filter_rejections_total",
    "Hosts removed by each filter, summed over requests.",
    ["filter"],
)
CLAIM_CONFLICTS = Counter(
    "stratus_scheduler_claim_conflicts_total",
    "Claims lost to a concurrent change of the host's usage (the next host was tried).",
)


def run_filters(
    filters: Sequence[BaseFilter], hosts: list[HostState], spec: RequestSpec
) -> tuple[list[HostState], list[scheduler_pb2.FilterResult]]:
    """Apply each filter in order; the hosts left and what each filter removed."""
    results = []
    for host_filter in filters:
        before = len(hosts)
        hosts = [host for host in hosts if host_filter.host_passes(host, spec)]
        removed = before - len(hosts)
        if removed:
            FILTER_REJECTIONS.labels(host_filter.name).inc(removed)
        results.append(
            scheduler_pb2.FilterResult(
                filter=host_filter.name,
                hosts_before=before,
                hosts_removed=removed,
                reason=host_filter.reason(spec) if removed else "",
            )
        )
        if not hosts:
            break
    return hosts, results


def explain_no_valid_host(total: int, results: Sequence[scheduler_pb2.FilterResult]) -> str:
    """'No valid host was found. RamFilter: 3 of 3 hosts have less than 4096 MB free'."""
    if total == 0:
        return "No valid host was found. There are no compute hosts."
    parts = [
        f"{r.filter}: {r.hosts_removed} of {r.hosts_before} hosts {r.reason}"
        for r in results
        if r.hosts_removed
    ]
    return "No valid host was found. " + "; ".join(parts)


class SchedulerManager:
    def __init__(
        self,
        store: Store,
        view: HostStateView,
        filters: Sequence[BaseFilter],
        weighers: Sequence[BaseWeigher],
        ratios: AllocationRatios,
        host_subset_size: int = 1,
    ) -> None:
        self.store = store
        self.view = view
        self.filters = list(filters)
        self.weighers = list(weighers)
        self.ratios = ratios
        self.host_subset_size = max(1, host_subset_size)

    def _fits(self, host: HostState, spec: RequestSpec):  # type: ignore[no-untyped-def]
        """The resource filters re-checked against the usage read fresh at claim time."""

        def fits(usage: types_pb2.HostUsage) -> bool:
            return (
                host.vcpus * self.ratios.cpu - usage.vcpus_used >= spec.vcpus
                and host.memory_mb * self.ratios.ram - usage.memory_mb_used >= spec.memory_mb
                and host.local_gb * self.ratios.disk - usage.local_gb_used >= spec.disk_gb
            )

        return fits

    async def select_destination(
        self, request: scheduler_pb2.SelectDestinationRequest
    ) -> scheduler_pb2.SelectDestinationResponse:
        spec = RequestSpec.from_request(request)
        started = time.perf_counter()
        hosts = self.view.snapshot()
        candidates, results = run_filters(self.filters, hosts, spec)
        ranked = [host for _, host in weigh(self.weighers, candidates, spec)]
        DECISION_SECONDS.observe(time.perf_counter() - started)
        # Spread concurrent decisions: pick randomly among the best `host_subset_size`.
        if len(ranked) > 1 and self.host_subset_size > 1:
            head = ranked[: self.host_subset_size]
            random.shuffle(head)
            ranked[: len(head)] = head
        for host in ranked:
            allocation = types_pb2.Allocation(
                instance_id=spec.instance_id,
                host=host.name,
                vcpus=spec.vcpus,
                memory_mb=spec.memory_mb,
                local_gb=spec.disk_gb,
            )
            self.view.consume(allocation)
            committed = None
            try:
                committed = await claims.claim(self.store, allocation, self._fits(host, spec))
            finally:
                self.view.settle(allocation, committed)
            if committed is not None:
                DECISIONS.labels("placed").inc()
                log.info("placed", instance_id=spec.instance_id, host=host.name)
                return scheduler_pb2.SelectDestinationResponse(
                    host=host.name, allocation=allocation, filters=results
                )
            CLAIM_CONFLICTS.inc()
            log.info("claim lost, trying next host", host=host.name)
        DECISIONS.labels("no_valid_host").inc()
        if candidates:
            reason = (
                "No valid host was found. Every candidate host filled up while this "
                "request was being placed."
            )
        else:
            reason = explain_no_valid_host(len(hosts), results)
        log.info("no valid host", instance_id=spec.instance_id, reason=reason)
        return scheduler_pb2.SelectDestinationResponse(filters=results, no_valid_host_reason=reason)

"""One placement decision: filter, weigh, claim in etcd; on a lost race, the next host."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import overload

import numpy as np
import structlog
from prometheus_client import Counter, Histogram

from services.scheduler.filters.base import BaseFilter, Rows
from services.scheduler.filters.num_instances_filter import NumInstancesFilter
from services.scheduler.host_state import HostState, HostStateView, HostTable, fits
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers import Weighed, weigh_rows
from services.scheduler.weighers.base import BaseWeigher
from services.state import claims, placement
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
NO_VALID_HOST = Counter(
    "stratus_scheduler_no_valid_host_total",
    "NoValidHost answers, by the filter that removed the last candidate hosts "
    "(no_hosts: none registered; claims_lost: every candidate filled up meanwhile).",
    ["filter"],
)
GROUP_CONFLICTS = Counter(
    "stratus_scheduler_group_conflicts_total",
    "Claims refused because another member of the server group was placed meanwhile "
    "(the request was decided again on the group's new placement).",
)

EXPLAIN_SAMPLE = 20
EXPLAIN_TOP = 10


# How often a member of a hard server group is decided again after other members changed
# the group's placement under it. Each round is lost only to a member that was placed, so
# this bounds the members one request can be outrun by.
MAX_GROUP_ROUNDS = 32


# Hosts ranked eagerly per decision. Only the best few are ever read unless claims keep
# losing races, so ordering and naming every surviving host would be wasted work.
RANKED_PREFIX = 16


class Ranking(Sequence[str]):
    """Surviving host names, best first (ties: table order), ordered as far as they are read.

    The same sequence as naming every row of a stable descending sort of the weights,
    with the first `host_subset_size` shuffled; only the prefix is computed up front.
    """

    def __init__(
        self, names: Sequence[str], rows: Rows, totals: np.ndarray, host_subset_size: int
    ) -> None:
        self._table_names: Sequence[str] = ()
        self._rows = rows
        self._totals = totals
        count = len(rows)
        wanted = min(count, max(RANKED_PREFIX, host_subset_size))
        if count > 4 * wanted:
            # Every row that could be among the best `wanted`, ties included, kept in row
            # order so that a stable sort of them equals the stable sort of all rows.
            negated = -totals
            kth = np.partition(negated, wanted - 1)[wanted - 1]
            candidates = np.flatnonzero(negated <= kth)
            order = candidates[np.argsort(negated[candidates], kind="stable")][:wanted]
            self._complete = False
            # The table renumbers rows when a host leaves: keep the names as they are now.
            self._table_names = list(names)
        else:
            order = np.argsort(-totals, kind="stable")
            self._complete = True
        self._names = [names[int(rows[i])] for i in order]
        # Spread concurrent decisions: pick randomly among the best `host_subset_size`.
        if count > 1 and host_subset_size > 1:
            head = self._names[:host_subset_size]
            random.shuffle(head)
            self._names[: len(head)] = head

    def _complete_names(self) -> list[str]:
        if not self._complete:
            order = np.argsort(-self._totals, kind="stable")[len(self._names) :]
            self._names.extend(self._table_names[int(self._rows[i])] for i in order)
            self._complete = True
        return self._names

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            stop = index.stop
            if stop is None or stop < 0 or stop > len(self._names) or (index.start or 0) < 0:
                return self._complete_names()[index]
            return self._names[index]
        if 0 <= index < len(self._names):
            return self._names[index]
        return self._complete_names()[index]

    def __iter__(self) -> Iterator[str]:
        position = 0
        while position < len(self._rows):
            yield self[position]
            position += 1

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Ranking({self._complete_names()!r})"


@dataclass(frozen=True)
class Decision:
    """Hosts ranked best first, what each filter did, and how the survivors weighed."""

    ranked: Sequence[str]
    filters: list[scheduler_pb2.FilterResult]
    weighed: Weighed
    hosts_total: int


def run_filters(
    filters: Sequence[BaseFilter],
    table: HostTable,
    rows: Rows,
    spec: RequestSpec,
    *,
    sample: int = 0,
) -> tuple[Rows, list[scheduler_pb2.FilterResult]]:
    """Apply each filter in order to the rows still in; what each filter removed and why."""
    results = []
    for host_filter in filters:
        if not host_filter.applies(spec):
            continue
        before = len(rows)
        rows = rows[host_filter.passes(table, rows, spec)]
        removed = before - len(rows)
        if removed:
            FILTER_REJECTIONS.labels(host_filter.name).inc(removed)
        results.append(
            scheduler_pb2.FilterResult(
                filter=host_filter.name,
                hosts_before=before,
                hosts_removed=removed,
                reason=host_filter.reason(spec) if removed else "",
                hosts_left_sample=[table.names[int(r)] for r in rows[:sample]],
            )
        )
        if not len(rows):
            break
    return rows, results


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


def no_valid_host_cause(decision: Decision) -> str:
    """The filter that left no host; no_hosts or claims_lost when no filter did."""
    if decision.ranked:
        return "claims_lost"
    if decision.hosts_total == 0 or not decision.filters:
        return "no_hosts"
    return decision.filters[-1].filter


def decide(
    filters: Sequence[BaseFilter],
    weighers: Sequence[BaseWeigher],
    table: HostTable,
    spec: RequestSpec,
    *,
    host_subset_size: int = 1,
    sample: int = 0,
) -> Decision:
    """The pure decision over a table: no I/O, no claim."""
    if spec.only_hosts:
        rows: Rows = np.array(
            [table.index[h] for h in spec.only_hosts if h in table.index], dtype=np.intp
        )
    else:
        rows = np.arange(len(table), dtype=np.intp)
    total = len(rows)
    rows, results = run_filters(filters, table, rows, spec, sample=sample)
    weighed = weigh_rows(weighers, table, rows, spec)
    ranked = Ranking(table.names, rows, weighed.totals, host_subset_size)
    return Decision(ranked, results, weighed, total)


def fits_now(
    host: HostState, spec: RequestSpec, max_instances: int | None = None
) -> Callable[[types_pb2.HostUsage], bool]:
    """The resource limits re-checked against the usage read fresh at claim time, and the
    host's instance limit (NumInstancesFilter's) when it has one: two schedulers racing
    for a host's last instance slot cannot both take it."""

    def fits_usage(usage: types_pb2.HostUsage) -> bool:
        # The resource filters' own rule (physical total and ratio), on the fresh usage.
        return (
            (max_instances is None or usage.instances < max_instances)
            and fits(host.vcpus, host.cpu_allocation_ratio, usage.vcpus_used, spec.vcpus)
            and fits(
                host.memory_mb, host.ram_allocation_ratio, usage.memory_mb_used, spec.memory_mb
            )
            and fits(host.local_gb, host.disk_allocation_ratio, usage.local_gb_used, spec.disk_gb)
        )

    return fits_usage


class SchedulerManager:
    def __init__(
        self,
        store: Store,
        view: HostStateView,
        filters: Sequence[BaseFilter],
        weighers: Sequence[BaseWeigher],
        *,
        host_subset_size: int = 1,
        max_alternates: int = 2,
    ) -> None:
        self.store = store
        self.view = view
        self.filters = list(filters)
        # Every filter and cause is a series from the start, at 0: a rate over it is 0,
        # not "no data", before the first rejection.
        for name in (*(f.name for f in self.filters), "no_hosts", "claims_lost"):
            NO_VALID_HOST.labels(name)
        for host_filter in self.filters:
            FILTER_REJECTIONS.labels(host_filter.name)
        self.weighers = list(weighers)
        self.host_subset_size = max(1, host_subset_size)
        self.max_alternates = max_alternates

    def _max_instances(self, host: HostState) -> int | None:
        """The host's instance limit when NumInstancesFilter is enabled, else None."""
        for host_filter in self.filters:
            if isinstance(host_filter, NumInstancesFilter):
                return host_filter.limit(host.aggregate_metadata)
        return None

    def _decide(self, spec: RequestSpec, sample: int = 0) -> Decision:
        started = time.perf_counter()
        decision = decide(
            self.filters,
            self.weighers,
            self.view.table,
            spec,
            host_subset_size=self.host_subset_size,
            sample=sample,
        )
        DECISION_SECONDS.observe(time.perf_counter() - started)
        return decision

    async def select_destination(
        self, request: scheduler_pb2.SelectDestinationRequest
    ) -> scheduler_pb2.SelectDestinationResponse:
        """Decide, then claim the best host that still fits; for a member of a server group,
        on the group's placement as read now, and decided again when another member's claim
        changes it first (so the hard policies hold whoever else is placing members)."""
        spec = RequestSpec.from_request(request)
        group = request.group if request.HasField("group") and request.group.id else None
        hard = group is not None and group.policy in placement.HARD_GROUP_POLICIES
        for _ in range(MAX_GROUP_ROUNDS if hard else 1):
            placed = None
            if group is not None:
                placed = await placement.group_placement(self.store, group.id)
                spec = replace(spec, group_hosts=placed.members_per_host(spec.instance_id))
            decision = self._decide(spec)
            watched = placed if hard else None
            response = await self._claim_best(decision, spec, group, watched)
            if response is not None:
                return response
            if watched is None or not decision.ranked:
                return self._no_valid_host(decision, spec)
            # No candidate could be claimed: decide again if the group moved meanwhile.
            now = await placement.group_placement(self.store, watched.group_id)
            if now.mod_revision == watched.mod_revision:
                return self._no_valid_host(decision, spec)
            GROUP_CONFLICTS.inc()
            log.info("server group placement changed, deciding again", group=watched.group_id)
        return self._no_valid_host(
            decision,
            spec,
            "No valid host was found. The server group's other members kept taking the "
            "hosts this request was placed on; try again.",
        )

    async def _claim_best(
        self,
        decision: Decision,
        spec: RequestSpec,
        group: types_pb2.ServerGroup | None,
        watched: placement.GroupPlacement | None,
    ) -> scheduler_pb2.SelectDestinationResponse | None:
        """Claim the decision's hosts best first; the placed response, or None when none of
        them could be claimed, or as soon as the `watched` group placement has moved."""
        table = self.view.table
        for position, name in enumerate(decision.ranked):
            row = table.index.get(name)
            if row is None:
                continue  # the host left while we weighed
            allocation = types_pb2.Allocation(
                instance_id=spec.instance_id,
                host=name,
                vcpus=spec.vcpus,
                memory_mb=spec.memory_mb,
                local_gb=spec.disk_gb,
                server_group_id=group.id if group is not None else "",
            )
            state = table.states[row]
            fits = fits_now(state, spec, self._max_instances(state))
            self.view.consume(allocation)
            committed = None
            try:
                committed = await claims.claim(self.store, allocation, fits, group=group)
            finally:
                self.view.settle(allocation, committed)
            if committed is not None:
                DECISIONS.labels("placed").inc()
                wanted = min(spec.num_alternates or 0, self.max_alternates)
                alternates = decision.ranked[position + 1 : position + 1 + wanted]
                log.info("placed", instance_id=spec.instance_id, host=name, alternates=alternates)
                return scheduler_pb2.SelectDestinationResponse(
                    host=name,
                    allocation=allocation,
                    filters=decision.filters,
                    alternates=alternates,
                )
            CLAIM_CONFLICTS.inc()
            log.info("claim lost, trying next host", host=name)
            if watched is not None:
                now = await placement.group_placement(self.store, watched.group_id)
                if now.mod_revision != watched.mod_revision:
                    return None  # the rest of the ranking was filtered on a stale placement
        return None

    def _no_valid_host(
        self, decision: Decision, spec: RequestSpec, reason: str = ""
    ) -> scheduler_pb2.SelectDestinationResponse:
        DECISIONS.labels("no_valid_host").inc()
        NO_VALID_HOST.labels(no_valid_host_cause(decision)).inc()
        if not reason and decision.ranked:
            reason = (
                "No valid host was found. Every candidate host filled up while this "
                "request was being placed."
            )
        elif not reason:
            reason = explain_no_valid_host(decision.hosts_total, decision.filters)
        log.info("no valid host", instance_id=spec.instance_id, reason=reason)
        return scheduler_pb2.SelectDestinationResponse(
            filters=decision.filters, no_valid_host_reason=reason
        )

    def explain(
        self, request: scheduler_pb2.SelectDestinationRequest
    ) -> scheduler_pb2.ExplainResponse:
        """The decision without a claim: hosts left after each filter, the top weighed hosts."""
        spec = RequestSpec.from_request(request)
        decision = self._decide(spec, sample=EXPLAIN_SAMPLE)
        weighed = decision.weighed
        order = np.argsort(-weighed.totals, kind="stable")[:EXPLAIN_TOP]
        top = [
            scheduler_pb2.WeighedHost(
                host=self.view.table.names[int(weighed.rows[i])],
                weight=float(weighed.totals[i]),
                parts={name: float(part[i]) for name, part in weighed.parts.items()},
            )
            for i in order
        ]
        reason = (
            "" if decision.ranked else explain_no_valid_host(decision.hosts_total, decision.filters)
        )
        return scheduler_pb2.ExplainResponse(
            hosts_total=decision.hosts_total,
            filters=decision.filters,
            weighed=top,
            no_valid_host_reason=reason,
        )

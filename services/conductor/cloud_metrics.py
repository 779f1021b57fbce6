"""Quota usage per project, published by the conductor from etcd, and the time a build
takes to reach ACTIVE.

Quota usage is a fact of the whole cloud, not of one process: every conductor replica reads
it from etcd on the same interval and publishes the same values, so a dashboard takes the
`max` over replicas and still sees them while any conductor is up.

Quota usage carries a `project` label; to keep its cardinality bounded, only the
`TOP_PROJECTS` projects using the most cores get their own series, and the rest are summed
under `project="other"`.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable

import structlog
from prometheus_client import Gauge, Histogram

from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

TOP_PROJECTS = 20
OTHER_PROJECTS = "other"
QUOTA_RESOURCES = ("instances", "cores", "ram")

QUOTA_IN_USE = Gauge(
    "stratus_quota_in_use",
    "Quota in use per project (instances, cores, ram in MiB); the projects using the most "
    f"cores by name, the rest summed under project={OTHER_PROJECTS!r}.",
    ["project", "resource"],
)
TIME_TO_ACTIVE = Histogram(
    "stratus_conductor_build_to_active_seconds",
    "Time from the server's creation by the api to its ACTIVE state.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


def became_active(instance: t.Instance, now: float | None = None) -> None:
    """Observe how long a build that reached ACTIVE took since the api created it."""
    if instance.HasField("created_at"):
        elapsed = (
            now if now is not None else time.time()
        ) - instance.created_at.ToNanoseconds() / 1e9
        TIME_TO_ACTIVE.observe(max(0.0, elapsed))


def top_projects(
    usages: Iterable[compute_pb2.QuotaUsage], names: dict[str, str], top: int = TOP_PROJECTS
) -> dict[str, dict[str, int]]:
    """Usage per project label: the `top` projects using the most cores (then instances)
    under their name (their id when unnamed), and the rest summed under "other"."""
    live = [u for u in usages if not u.project_deleted]
    live.sort(key=lambda u: (-u.in_use["cores"], -u.in_use["instances"], u.project_id))
    labelled: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(QUOTA_RESOURCES, 0))
    for position, usage in enumerate(live):
        label = (names.get(usage.project_id) or usage.project_id) if position < top else ""
        totals = labelled[label or OTHER_PROJECTS]
        for resource in QUOTA_RESOURCES:
            totals[resource] += usage.in_use[resource]
    labelled.setdefault(OTHER_PROJECTS, dict.fromkeys(QUOTA_RESOURCES, 0))
    return dict(labelled)


class QuotaGauges:
    """Refreshes the quota usage gauges from etcd every `interval_seconds`."""

    def __init__(self, store: Store, interval_seconds: float) -> None:
        self.store = store
        self.interval_seconds = interval_seconds
        self._published: set[str] = set()
        self._loop: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        usages, _ = await self.store.quota_usage.list()
        projects, _ = await self.store.projects.list()
        names = {p.id: p.message.name for p in projects}
        labelled = top_projects((v.message for v in usages), names)
        for project, amounts in labelled.items():
            for resource, amount in amounts.items():
                QUOTA_IN_USE.labels(project, resource).set(amount)
        for gone in self._published - set(labelled):
            for resource in QUOTA_RESOURCES:
                QUOTA_IN_USE.remove(gone, resource)
        self._published = set(labelled)

    async def _refresh_forever(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # etcd briefly away: the gauges keep their last values
                log.warning("quota gauges not refreshed", error=str(exc))
            await asyncio.sleep(self.interval_seconds)

    def start(self) -> None:
        self._loop = asyncio.create_task(self._refresh_forever(), name="quota-gauges")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)

"""Hosts as the scheduler sees them, exported at scrape time: which are up, which enabled.

A host is registered once its agent has reported it, and up while its agent holds a
liveness lease (the same view ComputeFilter decides on). A host registered but not up has
no agent: nothing can be built there, and its servers' power states go unwatched. The
values are read from the live view when Prometheus scrapes, so they are never stale.

Every scheduler replica reports the whole fleet; alerts and dashboards take the max over
replicas. The host name is a label: bounded by the fleet, and what an operator needs to
know which node to look at.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.scheduler.host_state import HostState, HostStateView

HOSTS = "stratus_scheduler_hosts"
HOST_UP = "stratus_scheduler_host_up"
HOST_ENABLED = "stratus_scheduler_host_enabled"


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            HOSTS,
            "Registered hosts, by state: up (its agent is connected) or down (no agent).",
            labels=["state"],
        ),
        GaugeMetricFamily(
            HOST_UP, "1 while the host's agent is connected, 0 when it has none.", labels=["host"]
        ),
        GaugeMetricFamily(
            HOST_ENABLED,
            "1 if the host takes new servers, 0 if an operator disabled it.",
            labels=["host"],
        ),
    )


class HostCollector(Collector):
    """The view's hosts as gauges, computed on each scrape."""

    def __init__(self, view: HostStateView) -> None:
        self.view = view

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(_families())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        hosts, up, enabled = _families()
        # A copy of the row list: the scrape runs on another thread than the watches.
        states: list[HostState] = self.view.snapshot()
        hosts.add_metric(["up"], sum(1 for state in states if state.up))
        hosts.add_metric(["down"], sum(1 for state in states if not state.up))
        for state in states:
            up.add_metric([state.name], 1.0 if state.up else 0.0)
            enabled.add_metric([state.name], 1.0 if state.enabled else 0.0)
        return iter((hosts, up, enabled))


def export(view: HostStateView, registry: CollectorRegistry = REGISTRY) -> HostCollector:
    """Serve `view`'s hosts on /metrics (through `registry`)."""
    collector = HostCollector(view)
    registry.register(collector)
    return collector

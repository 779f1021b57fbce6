"""The scheduler's capacity gauges: allocatable on live hosts, claimed on every host."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from services.scheduler import capacity_metrics
from services.scheduler.host_state import HostState, HostStateView
from services.state import keys
from services.state.store import Store
from stratus.v1 import types_pb2 as t
from tests.waiting import eventually

MIB = 1024 * 1024
GIB = 1024 * MIB


def test_capacity_counts_allocation_ratios_on_hosts_up_and_enabled_only() -> None:
    hosts = [
        HostState("up", vcpus=4, memory_mb=1000, local_gb=10, vcpus_used=6, memory_mb_used=500),
        HostState("down", up=False, vcpus=8, memory_mb=2000, local_gb=20, vcpus_used=2),
        HostState("disabled", enabled=False, vcpus=8, memory_mb=2000, local_gb=20, local_gb_used=5),
    ]

    values = capacity_metrics.totals(hosts)

    assert values["stratus_scheduler_capacity_vcpus"] == 4 * 16.0
    assert values["stratus_scheduler_capacity_memory_bytes"] == 1000 * 1.5 * MIB
    assert values["stratus_scheduler_capacity_disk_bytes"] == 10 * GIB
    # A down or disabled host's servers still hold what they claimed.
    assert values["stratus_scheduler_used_vcpus"] == 8
    assert values["stratus_scheduler_used_memory_bytes"] == 500 * MIB
    assert values["stratus_scheduler_used_disk_bytes"] == 5 * GIB


async def test_claims_in_etcd_show_as_used_at_the_next_scrape(store: Store) -> None:
    await store.hosts.create("node-a", t.Host(name="node-a", vcpus=4, memory_mb=4096, enabled=True))
    lease = await store.etcd.grant_lease(30)
    await store.etcd.put(keys.HOST_ALIVE + "node-a", b"conductor-1", lease=lease)
    view = HostStateView(store.etcd)
    await view.start()
    registry = CollectorRegistry()
    try:
        capacity_metrics.export(view, registry)
        await eventually(lambda: len(view.snapshot()) == 1)
        assert registry.get_sample_value("stratus_scheduler_capacity_vcpus") == 64
        assert registry.get_sample_value("stratus_scheduler_used_vcpus") == 0

        await store.host_usage.create(
            "node-a", t.HostUsage(host="node-a", vcpus_used=3, memory_mb_used=1024)
        )

        await eventually(lambda: registry.get_sample_value("stratus_scheduler_used_vcpus") == 3)
        assert registry.get_sample_value("stratus_scheduler_used_memory_bytes") == 1024 * MIB
    finally:
        await view.stop()
        await store.etcd.revoke_lease(lease)

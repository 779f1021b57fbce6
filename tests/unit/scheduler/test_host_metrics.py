"""The scheduler's host gauges: every registered host, up while its agent holds a lease."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from services.scheduler import host_metrics
from services.scheduler.host_state import HostStateView
from services.state import keys
from services.state.store import Store
from stratus.v1 import types_pb2 as t
from tests.waiting import eventually


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


async def test_a_registered_host_without_an_agent_is_down_and_named(store: Store) -> None:
    await store.hosts.create("node-a", t.Host(name="node-a", vcpus=4, enabled=True))
    await store.hosts.create("node-b", t.Host(name="node-b", vcpus=4, enabled=False))
    lease = await store.etcd.grant_lease(30)
    await store.etcd.put(keys.HOST_ALIVE + "node-a", b"conductor-1", lease=lease)
    view = HostStateView(store.etcd)
    await view.start()
    registry = CollectorRegistry()
    try:
        host_metrics.export(view, registry)
        await eventually(lambda: len(view.snapshot()) == 2)

        assert _value(registry, "stratus_scheduler_hosts", state="up") == 1
        assert _value(registry, "stratus_scheduler_hosts", state="down") == 1
        assert _value(registry, "stratus_scheduler_host_up", host="node-a") == 1
        assert _value(registry, "stratus_scheduler_host_up", host="node-b") == 0
        assert _value(registry, "stratus_scheduler_host_enabled", host="node-a") == 1
        assert _value(registry, "stratus_scheduler_host_enabled", host="node-b") == 0
    finally:
        await view.stop()
        await store.etcd.revoke_lease(lease)


async def test_a_host_whose_agent_lease_ends_turns_down_at_the_next_scrape(store: Store) -> None:
    await store.hosts.create("node-a", t.Host(name="node-a", vcpus=4, enabled=True))
    lease = await store.etcd.grant_lease(30)
    await store.etcd.put(keys.HOST_ALIVE + "node-a", b"conductor-1", lease=lease)
    view = HostStateView(store.etcd)
    await view.start()
    registry = CollectorRegistry()
    try:
        host_metrics.export(view, registry)
        await eventually(lambda: len(view.snapshot()) == 1)
        assert _value(registry, "stratus_scheduler_host_up", host="node-a") == 1

        await store.etcd.revoke_lease(lease)
        await eventually(lambda: _value(registry, "stratus_scheduler_host_up", host="node-a") == 0)
        assert _value(registry, "stratus_scheduler_hosts", state="down") == 1
        assert _value(registry, "stratus_scheduler_hosts", state="up") == 0
    finally:
        await view.stop()

"""A server's life from create to delete, on a real cloud, driven over gRPC."""

from __future__ import annotations

import asyncio
import collections
import signal

import grpc
import pytest

from services.api.status import server_status
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t
from tests.integration.cloud import Cloud
from tests.integration.helpers import Stub, act, create, get, wait_gone, wait_status
from tests.waiting import eventually


async def test_twenty_servers_spread_over_three_hosts_reach_active_running(
    seeded: Stub,
) -> None:
    ids = await create(seeded, "fleet", count=20)
    servers = await asyncio.gather(*(wait_status(seeded, i, "ACTIVE") for i in ids))
    assert all(s.power_state == t.POWER_STATE_RUNNING for s in servers)
    per_host = collections.Counter(s.host for s in servers)
    assert len(per_host) == 3, per_host  # spread by free RAM
    addresses = [s.addresses[0].addr for s in servers]
    assert len(set(addresses)) == 20 and all(a.startswith("10.0.") for a in addresses)
    hosts = (await seeded.ListHosts(compute_pb2.ListHostsRequest())).hosts
    assert sum(h.usage.instances for h in hosts) >= 20
    await asyncio.gather(*(seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=i)) for i in ids))
    await asyncio.gather(*(wait_gone(seeded, i) for i in ids))


async def test_every_power_action_moves_vm_state_and_power_state(seeded: Stub) -> None:
    (server_id,) = await create(seeded, "actions")
    await wait_status(seeded, server_id, "ACTIVE")
    steps = [
        ("stop", "", "SHUTOFF", t.POWER_STATE_SHUTDOWN),
        ("start", "", "ACTIVE", t.POWER_STATE_RUNNING),
        ("reboot", "SOFT", "ACTIVE", t.POWER_STATE_RUNNING),
        ("reboot", "HARD", "ACTIVE", t.POWER_STATE_RUNNING),
        ("pause", "", "PAUSED", t.POWER_STATE_PAUSED),
        ("unpause", "", "ACTIVE", t.POWER_STATE_RUNNING),
        ("suspend", "", "SUSPENDED", None),
        ("resume", "", "ACTIVE", t.POWER_STATE_RUNNING),
    ]
    for action, reboot_type, status, power_state in steps:
        await act(seeded, server_id, action, reboot_type)
        server = await wait_status(seeded, server_id, status)
        if power_state is not None:
            assert server.power_state == power_state, (action, server.power_state)
    log = (
        await seeded.ListInstanceActions(compute_pb2.ListInstanceActionsRequest(id=server_id))
    ).actions
    assert [a.action for a in reversed(log)] == ["create"] + [s[0] for s in steps]
    assert all(a.result == "Success" and a.finish_time.seconds for a in log)


async def test_an_action_not_allowed_in_the_current_state_is_refused(seeded: Stub) -> None:
    (server_id,) = await create(seeded, "conflict")
    await wait_status(seeded, server_id, "ACTIVE")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await act(seeded, server_id, "start")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "vm_state active" in (refused.value.details() or "")
    assert (await get(seeded, server_id)).task_state == t.TASK_STATE_NONE  # type: ignore[union-attr]


async def test_delete_removes_the_server_from_etcd_and_libvirt(cloud: Cloud, seeded: Stub) -> None:
    (server_id,) = await create(seeded, "doomed")
    server = await wait_status(seeded, server_id, "ACTIVE")
    domain_file = cloud.root / "agent" / server.host / "domains" / f"{server_id}.xml"
    assert domain_file.exists()
    claimed_before = await claimed_on(seeded, server.host)
    await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
    await wait_gone(seeded, server_id)
    await eventually(lambda: not domain_file.exists())
    after = await claimed_on(seeded, server.host)
    assert after.instances == claimed_before.instances - 1
    assert after.memory_mb_used == claimed_before.memory_mb_used - server.flavor.ram_mb


async def claimed_on(stub: Stub, host: str) -> t.HostUsage:
    hosts = (await stub.ListHosts(compute_pb2.ListHostsRequest())).hosts
    return next(h.usage for h in hosts if h.host.name == host)


async def test_no_valid_host_puts_the_server_in_error_saying_why(seeded: Stub) -> None:
    (server_id,) = await create(seeded, "too-big", flavor="huge")
    server = await wait_status(seeded, server_id, "ERROR")
    assert server.fault.message == "No valid host was found."
    assert "RamFilter: 3 of 3 hosts have less than 1000000 MB free" in server.fault.details
    await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
    await wait_gone(seeded, server_id)


async def test_watchers_see_every_transition(seeded: Stub) -> None:
    seen: list[tuple[str, int]] = []
    stream = seeded.WatchServers(compute_pb2.WatchServersRequest(from_revision=0))

    async def follow() -> None:
        async for event in stream:
            if event.server.name == "watched":
                if event.type == compute_pb2.ServerEvent.TYPE_DELETED:
                    seen.append(("GONE", 0))
                else:
                    seen.append((server_status(event.server), event.server.task_state))

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.2)
    (server_id,) = await create(seeded, "watched")
    await wait_status(seeded, server_id, "ACTIVE")
    await act(seeded, server_id, "stop")
    await wait_status(seeded, server_id, "SHUTOFF")
    await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
    await eventually(lambda: seen and seen[-1][0] == "GONE")
    follower.cancel()
    statuses = [status for status, _ in seen]
    tasks = [task for _, task in seen]
    for expected in ("BUILD", "ACTIVE", "SHUTOFF", "DELETED", "GONE"):
        assert expected in statuses, seen
    assert statuses.index("BUILD") < statuses.index("ACTIVE") < statuses.index("SHUTOFF")
    assert statuses.index("SHUTOFF") < statuses.index("DELETED") < statuses.index("GONE")
    for task in (
        t.TASK_STATE_SCHEDULING,
        t.TASK_STATE_SPAWNING,
        t.TASK_STATE_POWERING_OFF,
        t.TASK_STATE_DELETING,
    ):
        assert task in tasks, (t.TaskState.Name(task), seen)


async def test_a_restarted_agent_resyncs_and_orphans_are_destroyed(
    cloud: Cloud, seeded: Stub
) -> None:
    ids = await create(seeded, "survivor", count=3)
    servers = await asyncio.gather(*(wait_status(seeded, i, "ACTIVE") for i in ids))
    orphan = servers[0]
    orphan_file = cloud.root / "agent" / orphan.host / "domains" / f"{orphan.id}.xml"
    cloud.services["agent"].kill()

    async def hosts_down() -> bool:
        hosts = (await seeded.ListHosts(compute_pb2.ListHostsRequest())).hosts
        return not any(h.up for h in hosts)

    await eventually(hosts_down)
    # Deleted while its host is unreachable: the records go now, the domain on resync.
    await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=orphan.id))
    await wait_gone(seeded, orphan.id)
    assert orphan_file.exists()
    cloud.start_service("agent")
    cloud.wait_for_hosts(3)
    await eventually(lambda: not orphan_file.exists())
    for server in servers[1:]:
        again = await wait_status(seeded, server.id, "ACTIVE")
        assert again.power_state == t.POWER_STATE_RUNNING
        assert again.host == server.host
    for server in servers[1:]:
        await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server.id))


async def test_a_conductor_killed_mid_build_leaves_no_server_in_build(
    cloud: Cloud, seeded: Stub
) -> None:
    ids = await create(seeded, "interrupted", count=8)
    cloud.services["conductor"].process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
    cloud.services["conductor"].process.wait()  # type: ignore[union-attr]
    cloud.start_service("conductor")
    cloud.wait_for_hosts(3)
    servers = await asyncio.gather(*(wait_status(seeded, i, "ACTIVE", 60) for i in ids))
    assert all(s.power_state == t.POWER_STATE_RUNNING for s in servers)
    for server_id in ids:
        await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
    await asyncio.gather(*(wait_gone(seeded, i) for i in ids))


async def scheduler_listed(stub: Stub) -> bool:
    services = (await stub.ListServices(compute_pb2.ListServicesRequest())).services
    return any(s.service.binary == "stratus-scheduler" for s in services)


async def test_a_stopped_service_leaves_the_service_list(cloud: Cloud, seeded: Stub) -> None:
    scheduler = cloud.services["scheduler"]
    assert await scheduler_listed(seeded)
    # SIGTERM: a graceful stop deregisters at once.
    assert scheduler.stop(timeout=15) == 0
    assert not await scheduler_listed(seeded)
    cloud.start_service("scheduler")
    await eventually(lambda: scheduler_listed(seeded))
    # SIGKILL: nobody deregisters; the lease (3 s in these tests) expires.
    scheduler.kill()
    assert await scheduler_listed(seeded)

    async def gone() -> bool:
        return not await scheduler_listed(seeded)

    await eventually(gone, within_seconds=15)
    cloud.start_service("scheduler")
    (server_id,) = await create(seeded, "after-restart")
    await wait_status(seeded, server_id, "ACTIVE")
    await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))


async def test_the_cloud_carries_on_after_an_etcd_restart(cloud: Cloud, seeded: Stub) -> None:
    (before,) = await create(seeded, "before-etcd-restart")
    await wait_status(seeded, before, "ACTIVE")
    assert cloud.etcd is not None
    cloud.etcd.stop()
    cloud.etcd.start()
    (after,) = await create(seeded, "after-etcd-restart")
    server = await wait_status(seeded, after, "ACTIVE", within_seconds=60)
    assert server.power_state == t.POWER_STATE_RUNNING
    await act(seeded, before, "stop")  # the conductor's watchers and leases came back
    await wait_status(seeded, before, "SHUTOFF")
    hosts = (await seeded.ListHosts(compute_pb2.ListHostsRequest())).hosts
    assert all(h.up for h in hosts)
    for server_id in (before, after):
        await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
        await wait_gone(seeded, server_id)

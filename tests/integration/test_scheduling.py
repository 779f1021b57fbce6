"""Where servers land: groups, zones, tenant isolation, weighing, races, and why not.

A cloud of four small hosts (8 vCPUs, 8 GiB, RAM ratio 1.0: sixteen 512 MB servers
each), so that limits are reached in a few boots.
"""

from __future__ import annotations

import asyncio
import collections
import signal
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t
from tests.integration.cloud import Cloud
from tests.integration.helpers import Stub, wait_gone

HOSTS = 4
PER_HOST = 16  # 8192 MB / 512 MB


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    root: Path = tmp_path_factory.mktemp("scheduling")
    with Cloud(
        root,
        hosts=HOSTS,
        host_vcpus=8,
        host_memory_mb=8192,
        extra_args={
            "scheduler": ["--ram-allocation-ratio", "1.0"],
            # A hung host is given up on quickly, so rescheduling is seen in seconds; a
            # build waits only briefly for a host that is down to come back.
            "conductor": [
                "--spawn-timeout-seconds",
                "3",
                "--action-timeout-seconds",
                "3",
                "--host-wait-grace-seconds",
                "5",
            ],
        },
    ).running() as cloud:
        yield cloud


async def boot(
    stub: Stub,
    name: str,
    count: int = 1,
    *,
    group: str = "",
    zone: str = "",
    flavor: str = "1",
) -> list[t.Instance]:
    hints = t.SchedulerHints(group=group)
    reply = await stub.CreateServers(
        compute_pb2.CreateServersRequest(
            name=name,
            flavor_ref=flavor,
            image_ref="cirros",
            min_count=count,
            availability_zone=zone,
            hints=hints,
        )
    )
    return list(reply.servers)


async def settled(stub: Stub, servers: list[t.Instance]) -> list[t.Instance]:
    """Each server once it is ACTIVE or ERROR."""

    async def one(server_id: str) -> t.Instance:
        from tests.waiting import eventually

        async def done() -> t.Instance | None:
            found = await stub.GetServer(compute_pb2.GetServerRequest(id=server_id))
            finished = found.vm_state in (t.VM_STATE_ACTIVE, t.VM_STATE_ERROR)
            return found if finished and found.task_state == t.TASK_STATE_NONE else None

        return await eventually(done, within_seconds=60)

    return list(await asyncio.gather(*(one(s.id) for s in servers)))


async def delete_all(stub: Stub, servers: list[t.Instance]) -> None:
    await asyncio.gather(
        *(stub.DeleteServer(compute_pb2.DeleteServerRequest(id=s.id)) for s in servers)
    )
    await asyncio.gather(*(wait_gone(stub, s.id, within_seconds=60) for s in servers))


async def test_anti_affinity_puts_each_member_on_its_own_host(seeded: Stub) -> None:
    group = await seeded.CreateServerGroup(
        compute_pb2.CreateServerGroupRequest(name="apart", policy="anti-affinity")
    )
    members = await settled(seeded, await boot(seeded, "apart", HOSTS, group=group.id))
    assert all(m.vm_state == t.VM_STATE_ACTIVE for m in members)
    assert len({m.host for m in members}) == HOSTS
    (extra,) = await settled(seeded, await boot(seeded, "apart-5", group=group.id))
    assert extra.vm_state == t.VM_STATE_ERROR
    assert "ServerGroupAntiAffinityFilter" in extra.fault.details
    stored = await seeded.GetServerGroup(compute_pb2.GetServerGroupRequest(id=group.id))
    assert set(stored.members) == {m.id for m in [*members, extra]}
    await delete_all(seeded, [*members, extra])
    emptied = await seeded.GetServerGroup(compute_pb2.GetServerGroupRequest(id=group.id))
    assert list(emptied.members) == []


async def test_affinity_keeps_every_member_on_one_host(seeded: Stub) -> None:
    group = await seeded.CreateServerGroup(
        compute_pb2.CreateServerGroupRequest(name="together", policy="affinity")
    )
    (first,) = await settled(seeded, await boot(seeded, "together-1", group=group.id))
    rest = await settled(seeded, await boot(seeded, "together", 5, group=group.id))
    assert {m.host for m in [first, *rest]} == {first.host}
    await delete_all(seeded, [first, *rest])


async def test_soft_anti_affinity_spreads_members_evenly(seeded: Stub) -> None:
    group = await seeded.CreateServerGroup(
        compute_pb2.CreateServerGroupRequest(name="spread", policy="soft-anti-affinity")
    )
    members = []
    for n in range(2 * HOSTS):  # one at a time, so each decision sees the previous ones
        members += await settled(seeded, await boot(seeded, f"spread-{n}", group=group.id))
    per_host = collections.Counter(m.host for m in members)
    assert sorted(per_host.values()) == [2] * HOSTS, per_host
    await delete_all(seeded, members)


async def test_an_availability_zone_is_an_aggregate_of_hosts(seeded: Stub) -> None:
    zone = await seeded.CreateAggregate(
        compute_pb2.CreateAggregateRequest(name="rack-a", availability_zone="az-a")
    )
    await seeded.AddAggregateHost(compute_pb2.AggregateHostRequest(id=zone.id, host="node-1"))
    servers = await settled(seeded, await boot(seeded, "zoned", 3, zone="az-a"))
    assert {s.host for s in servers} == {"node-1"}
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await boot(seeded, "nowhere", zone="az-missing")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    await delete_all(seeded, servers)
    await seeded.RemoveAggregateHost(compute_pb2.AggregateHostRequest(id=zone.id, host="node-1"))
    await seeded.DeleteAggregate(compute_pb2.DeleteAggregateRequest(id=zone.id))


async def test_tenant_isolated_hosts_take_only_their_tenants(seeded: Stub) -> None:
    private = await seeded.CreateAggregate(compute_pb2.CreateAggregateRequest(name="private"))
    await seeded.AddAggregateHost(compute_pb2.AggregateHostRequest(id=private.id, host="node-2"))
    await seeded.SetAggregateMetadata(
        compute_pb2.SetAggregateMetadataRequest(
            id=private.id, metadata={"filter_tenant_id": "another-project"}
        )
    )
    servers = await settled(seeded, await boot(seeded, "tenant", 8))
    assert all(s.vm_state == t.VM_STATE_ACTIVE for s in servers)
    assert "node-2" not in {s.host for s in servers}
    await delete_all(seeded, servers)
    await seeded.RemoveAggregateHost(compute_pb2.AggregateHostRequest(id=private.id, host="node-2"))
    await seeded.DeleteAggregate(compute_pb2.DeleteAggregateRequest(id=private.id))


async def test_spread_by_default_and_fill_first_with_negative_multipliers(
    cloud: Cloud, seeded: Stub
) -> None:
    spread = []
    for n in range(HOSTS):
        spread += await settled(seeded, await boot(seeded, f"spread-default-{n}"))
    assert len({s.host for s in spread}) == HOSTS
    await delete_all(seeded, spread)

    stack_flags = [
        "--ram-weight-multiplier",
        "-1",
        "--cpu-weight-multiplier",
        "-1",
        "--disk-weight-multiplier",
        "-1",
    ]
    cloud.restart_service("scheduler", stack_flags)
    try:
        stacked = []
        for n in range(HOSTS):
            stacked += await settled(seeded, await boot(seeded, f"stacked-{n}"))
        assert len({s.host for s in stacked}) == 1, [s.host for s in stacked]
        await delete_all(seeded, stacked)
    finally:
        cloud.restart_service("scheduler", [])


async def test_no_valid_host_says_why_and_explain_shows_the_decision(
    cloud: Cloud, seeded: Stub
) -> None:
    (server,) = await settled(seeded, await boot(seeded, "huge", flavor="huge"))
    assert server.vm_state == t.VM_STATE_ERROR
    assert f"RamFilter: {HOSTS} of {HOSTS} hosts have less than 1000000 MB free" in (
        server.fault.details
    )
    await delete_all(seeded, [server])

    async with httpx.AsyncClient(
        base_url=cloud.rest_url, timeout=10, headers={"X-Auth-Token": cloud.admin.token}
    ) as rest:
        reply = await rest.post(
            "/v2.1/os-scheduler/explain",
            json={"server": {"name": "what-if", "flavorRef": "1", "imageRef": "cirros"}},
        )
        assert reply.status_code == 200, reply.text
        explained = reply.json()["explain"]
    assert explained["hosts_total"] == HOSTS
    assert [f["filter"] for f in explained["filters"]][:1] == ["ComputeFilter"]
    assert len(explained["weighed"]) == HOSTS
    best = explained["weighed"][0]
    assert "RAMWeigher" in best["parts"]
    # Explaining claims nothing.
    hosts = (await seeded.ListHosts(compute_pb2.ListHostsRequest())).hosts
    assert all(h.usage.instances == 0 for h in hosts)


async def test_two_schedulers_racing_never_overcommit_a_host(cloud: Cloud, seeded: Stub) -> None:
    cloud.add_scheduler("scheduler-2", ["--ram-allocation-ratio", "1.0"])
    try:
        capacity = HOSTS * PER_HOST
        batches = await asyncio.gather(
            *(boot(seeded, f"race-{n}", 10) for n in range(capacity // 10 + 3))
        )
        servers = await settled(seeded, [s for batch in batches for s in batch])
        active = [s for s in servers if s.vm_state == t.VM_STATE_ACTIVE]
        assert len(active) == capacity
        for name in ("scheduler", "scheduler-2"):  # both took part
            assert '"event": "placed"' in cloud.services[name].log_path.read_text(), name
        hosts = (await seeded.ListHosts(compute_pb2.ListHostsRequest())).hosts
        for view in hosts:
            assert view.usage.memory_mb_used <= view.host.memory_mb, view
            assert view.usage.instances == PER_HOST
        await delete_all(seeded, servers)
        hosts = (await seeded.ListHosts(compute_pb2.ListHostsRequest())).hosts
        assert all(h.usage.instances == 0 and h.usage.memory_mb_used == 0 for h in hosts)
    finally:
        cloud.services["scheduler-2"].stop()


async def test_a_failed_spawn_is_rescheduled_and_the_failing_host_sinks(
    cloud: Cloud, seeded: Stub
) -> None:
    # The roomiest host, so every weigher prefers it; then its agent hangs.
    hung = cloud.add_agent("agent-hung", hosts=1, prefix="hung-", vcpus=64, memory_mb=65536)
    cloud.wait_for_hosts(HOSTS + 1)
    hung.process.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
    try:
        (server,) = await settled(seeded, await boot(seeded, "rescued"))
        assert server.vm_state == t.VM_STATE_ACTIVE, server.fault
        assert server.host.startswith("node-")
        assert list(server.failed_hosts) == ["hung-1"]
        assert "hung-1: host hung-1 did not answer OP_SPAWN" in server.build_errors[0]

        # The failure is remembered: the next boot goes elsewhere at once.
        (next_one,) = await settled(seeded, await boot(seeded, "avoids-hung"))
        assert next_one.host != "hung-1" and not next_one.failed_hosts

        # Nowhere else to go: ERROR, with every attempt and its cause in the fault.
        zone = await seeded.CreateAggregate(
            compute_pb2.CreateAggregateRequest(name="hung-only", availability_zone="az-hung")
        )
        await seeded.AddAggregateHost(compute_pb2.AggregateHostRequest(id=zone.id, host="hung-1"))
        (stuck,) = await settled(seeded, await boot(seeded, "stuck", zone="az-hung"))
        assert stuck.vm_state == t.VM_STATE_ERROR
        # The hung host either fails the spawn or, once its silent stream is dropped, is
        # down and not back within the grace: either way the fault says so.
        assert (
            "hung-1: host hung-1 did not answer OP_SPAWN" in stuck.fault.details
            or "No host came back within 5 s" in stuck.fault.details
        ), stuck.fault
        await delete_all(seeded, [server, next_one, stuck])
        await seeded.RemoveAggregateHost(
            compute_pb2.AggregateHostRequest(id=zone.id, host="hung-1")
        )
        await seeded.DeleteAggregate(compute_pb2.DeleteAggregateRequest(id=zone.id))
    finally:
        hung.process.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
        hung.stop()

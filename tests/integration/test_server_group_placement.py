"""Server groups stay exact under concurrency: the group's placement is claimed with the host.

Two layers. Against a bare etcd, the claims themselves: members of one group racing for
hosts can never both commit a placement the group's hard policy forbids. Against a whole
cloud with two scheduler replicas and one big host that every weigher prefers, many
concurrent boots and multi-create requests into affinity and anti-affinity groups land
exactly as their policies say, read back from the servers, their claims and the group's
placement record.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.state import claims, placement
from services.state.etcd import Etcd
from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t
from tests.integration.cloud import Cloud
from tests.integration.helpers import Stub, wait_gone
from tests.waiting import eventually

# ---------------------------------------------------------------------------------------
# The claim, against a real etcd.


def member(instance_id: str, host: str) -> t.Allocation:
    return t.Allocation(instance_id=instance_id, host=host, vcpus=1, memory_mb=512, local_gb=1)


def always_fits(usage: t.HostUsage) -> bool:
    return True


async def new_group(store: Store, policy: str, **rules: str) -> t.ServerGroup:
    group = t.ServerGroup(id=f"g-{policy}-{len(rules)}", name="g", policy=policy, rules=rules)
    await store.server_groups.create(group.id, group)
    return group


async def test_two_members_of_an_anti_affinity_group_racing_for_one_host_one_wins(
    store: Store,
) -> None:
    group = await new_group(store, "anti-affinity")
    won = await asyncio.gather(
        claims.claim(store, member("a", "node-1"), always_fits, group=group),
        claims.claim(store, member("b", "node-1"), always_fits, group=group),
    )
    assert sum(1 for w in won if w is not None) == 1
    usage = (await store.host_usage.require("node-1")).message
    assert usage.instances == 1
    record = (await store.server_group_placements.require(group.id)).message
    (winner,) = record.member_hosts
    assert dict(record.member_hosts) == {winner: "node-1"}
    # The loser is placed on another host, and the record has both.
    loser = "b" if winner == "a" else "a"
    assert await claims.claim(store, member(loser, "node-2"), always_fits, group=group)
    record = (await store.server_group_placements.require(group.id)).message
    assert dict(record.member_hosts) == {winner: "node-1", loser: "node-2"}


async def test_max_server_per_host_members_of_many_racing_win_a_host(store: Store) -> None:
    group = await new_group(store, "anti-affinity", max_server_per_host="2")
    won = await asyncio.gather(
        *(
            claims.claim(store, member(f"m{n}", "node-1"), always_fits, group=group)
            for n in range(8)
        )
    )
    assert sum(1 for w in won if w is not None) == 2
    assert (await store.host_usage.require("node-1")).message.instances == 2


async def test_the_first_claimed_member_of_an_affinity_group_fixes_its_host(store: Store) -> None:
    group = await new_group(store, "affinity")
    won = await asyncio.gather(
        claims.claim(store, member("a", "node-1"), always_fits, group=group),
        claims.claim(store, member("b", "node-2"), always_fits, group=group),
    )
    assert sum(1 for w in won if w is not None) == 1
    fixed = "node-1" if won[0] is not None else "node-2"
    other = "node-2" if fixed == "node-1" else "node-1"
    assert await claims.claim(store, member("c", other), always_fits, group=group) is None
    assert await claims.claim(store, member("c", fixed), always_fits, group=group)
    record = (await store.server_group_placements.require(group.id)).message
    assert set(record.member_hosts.values()) == {fixed}
    assert await store.allocations.get("c") is not None
    assert (await store.host_usage.get(other)) is None or (
        (await store.host_usage.require(other)).message.instances == 0
    )


async def test_a_release_takes_the_member_out_of_its_group_exactly_once(store: Store) -> None:
    group = await new_group(store, "anti-affinity")
    assert await claims.claim(store, member("a", "node-1"), always_fits, group=group)
    assert await claims.claim(store, member("b", "node-2"), always_fits, group=group)
    released = await asyncio.gather(*(claims.release(store, "a") for _ in range(5)))
    assert sum(1 for r in released if r is not None) == 1
    record = (await store.server_group_placements.require(group.id)).message
    assert dict(record.member_hosts) == {"b": "node-2"}
    # The host it left takes another member.
    assert await claims.claim(store, member("c", "node-1"), always_fits, group=group)


async def test_a_deleted_group_constrains_nothing_and_leaves_no_record(store: Store) -> None:
    group = await new_group(store, "anti-affinity")
    assert await store.server_groups.delete(group.id)
    assert await claims.claim(store, member("a", "node-1"), always_fits, group=group)
    assert await claims.claim(store, member("b", "node-1"), always_fits, group=group)
    assert await store.server_group_placements.get(group.id) is None
    assert await claims.release(store, "a") is not None


# ---------------------------------------------------------------------------------------
# A whole cloud: two schedulers, four small hosts and a big one every weigher prefers.

SMALL_HOSTS = 4
BIG_HOST = "big-1"
ALL_HOSTS = SMALL_HOSTS + 1


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    root: Path = tmp_path_factory.mktemp("server-groups")
    with Cloud(root, hosts=SMALL_HOSTS, host_vcpus=8, host_memory_mb=8192).running() as cloud:
        cloud.add_agent("agent-big", hosts=1, prefix="big-", vcpus=16, memory_mb=12288)
        cloud.wait_for_hosts(ALL_HOSTS)
        # The second replica picks among the best three hosts, as operators set it to
        # spread concurrent decisions: first members of a group then start apart.
        cloud.add_scheduler("scheduler-2", ["--host-subset-size", "3"])
        yield cloud


@pytest.fixture
async def cloud_store(cloud: Cloud) -> AsyncIterator[Store]:
    """The cloud's own etcd, read directly: where claims and group placements really are."""
    assert cloud.etcd is not None
    etcd = Etcd(cloud.etcd.endpoint)
    await etcd.connect()
    yield Store(etcd)
    await etcd.close()


async def create_group(stub: Stub, name: str, policy: str, **rules: str) -> t.ServerGroup:
    group: t.ServerGroup = await stub.CreateServerGroup(
        compute_pb2.CreateServerGroupRequest(name=name, policy=policy, rules=rules)
    )
    return group


async def boot(
    stub: Stub, name: str, count: int = 1, *, group: str, zone: str = ""
) -> list[t.Instance]:
    """One request for exactly `count` servers (min_count = max_count) into `group`."""
    reply = await stub.CreateServers(
        compute_pb2.CreateServersRequest(
            name=name,
            flavor_ref="1",
            image_ref="cirros",
            min_count=count,
            max_count=count,
            availability_zone=zone,
            hints=t.SchedulerHints(group=group),
        )
    )
    return list(reply.servers)


async def settled(stub: Stub, servers: list[t.Instance]) -> list[t.Instance]:
    """Each server once it is ACTIVE or ERROR, with no task in progress."""

    async def one(server_id: str) -> t.Instance:
        async def done() -> t.Instance | None:
            found: t.Instance = await stub.GetServer(compute_pb2.GetServerRequest(id=server_id))
            finished = found.vm_state in (t.VM_STATE_ACTIVE, t.VM_STATE_ERROR)
            return found if finished and found.task_state == t.TASK_STATE_NONE else None

        return await eventually(done, within_seconds=60)

    return list(await asyncio.gather(*(one(s.id) for s in servers)))


async def delete_all(stub: Stub, servers: list[t.Instance]) -> None:
    await asyncio.gather(
        *(stub.DeleteServer(compute_pb2.DeleteServerRequest(id=s.id)) for s in servers)
    )
    await asyncio.gather(*(wait_gone(stub, s.id, within_seconds=60) for s in servers))


@dataclass
class Placed:
    """One group of the scenario: its policy and its members as they settled."""

    group: t.ServerGroup
    members: list[t.Instance] = field(default_factory=list)

    @property
    def active(self) -> list[t.Instance]:
        return [m for m in self.members if m.vm_state == t.VM_STATE_ACTIVE]

    def per_host(self) -> collections.Counter[str]:
        return collections.Counter(m.host for m in self.active)


def violations(placed: Placed) -> list[str]:
    """What breaks the group's hard policy, from where its active members run."""
    per_host = placed.per_host()
    group = placed.group
    if group.policy == "affinity" and len(per_host) > 1:
        return [f"affinity group {group.name} spans {dict(per_host)}"]
    if group.policy == "anti-affinity":
        limit = int(group.rules.get("max_server_per_host", "1"))
        return [
            f"anti-affinity group {group.name} runs {n} members on {host} (limit {limit})"
            for host, n in per_host.items()
            if n > limit
        ]
    return []


async def assert_claims_match_servers(
    stub: Stub, store: Store, groups: list[Placed], everything: list[t.Instance]
) -> None:
    """Every active server's claim is on its host, every failed one has none, each group's
    placement record names exactly its active members' hosts, and the claims on each host
    count exactly the servers running there."""
    for server in everything:
        allocation = await store.allocations.get(server.id)
        if server.vm_state == t.VM_STATE_ACTIVE:
            assert allocation is not None and allocation.message.host == server.host, server.id
        else:
            assert allocation is None, server.id
    for placed in groups:
        record = await placement.group_placement(store, placed.group.id)
        assert dict(record.record.member_hosts) == {m.id: m.host for m in placed.active}
    running = collections.Counter(s.host for s in everything if s.vm_state == t.VM_STATE_ACTIVE)
    hosts = (await stub.ListHosts(compute_pb2.ListHostsRequest())).hosts
    assert {h.host.name: h.usage.instances for h in hosts} == {
        h.host.name: running.get(h.host.name, 0) for h in hosts
    }


async def test_a_multi_create_into_a_new_affinity_group_lands_on_one_host(
    seeded: Stub, cloud_store: Store
) -> None:
    # Equal hosts: spreading weighers would put each of the three somewhere else.
    zone = await seeded.CreateAggregate(
        compute_pb2.CreateAggregateRequest(name="small", availability_zone="az-small")
    )
    for n in range(1, SMALL_HOSTS + 1):
        await seeded.AddAggregateHost(
            compute_pb2.AggregateHostRequest(id=zone.id, host=f"node-{n}")
        )
    try:
        group = await create_group(seeded, "together", "affinity")
        members = await settled(
            seeded, await boot(seeded, "together", 3, group=group.id, zone="az-small")
        )
        assert all(m.vm_state == t.VM_STATE_ACTIVE for m in members), [m.fault for m in members]
        assert len({m.host for m in members}) == 1, [m.host for m in members]
        placed = Placed(group, members)
        await assert_claims_match_servers(seeded, cloud_store, [placed], members)
        await delete_all(seeded, members)
        await seeded.DeleteServerGroup(compute_pb2.DeleteServerGroupRequest(id=group.id))
    finally:
        for n in range(1, SMALL_HOSTS + 1):
            await seeded.RemoveAggregateHost(
                compute_pb2.AggregateHostRequest(id=zone.id, host=f"node-{n}")
            )
        await seeded.DeleteAggregate(compute_pb2.DeleteAggregateRequest(id=zone.id))


async def test_a_multi_create_into_a_new_anti_affinity_group_lands_on_distinct_hosts(
    seeded: Stub, cloud_store: Store
) -> None:
    # The big host would take all three: it has the most free room even after two.
    group = await create_group(seeded, "apart", "anti-affinity")
    members = await settled(seeded, await boot(seeded, "apart", 3, group=group.id))
    assert all(m.vm_state == t.VM_STATE_ACTIVE for m in members), [m.fault for m in members]
    assert len({m.host for m in members}) == 3, [m.host for m in members]
    await assert_claims_match_servers(seeded, cloud_store, [Placed(group, members)], members)
    await delete_all(seeded, members)
    # Deleting the members empties the group's placement; deleting the group removes it.
    assert (await placement.group_placement(cloud_store, group.id)).record.member_hosts == {}
    await seeded.DeleteServerGroup(compute_pb2.DeleteServerGroupRequest(id=group.id))
    assert await cloud_store.server_group_placements.get(group.id) is None


async def test_concurrent_boots_and_multi_creates_from_two_schedulers_violate_no_group(
    cloud: Cloud, seeded: Stub, cloud_store: Store
) -> None:
    # (policy, rules, request sizes, how many of its members can run)
    plan: list[tuple[str, dict[str, str], list[int], int]] = [
        *[("affinity", {}, [3, 1, 1, 1], 6)] * 3,
        *[("anti-affinity", {}, [3, 1, 1], ALL_HOSTS)] * 3,
        *[("anti-affinity", {"max_server_per_host": "2"}, [4, 1, 1, 1, 1], 8)] * 2,
        # More members than hosts: those that cannot be placed apart fail, none doubles up.
        ("anti-affinity", {}, [7], ALL_HOSTS),
    ]
    await seeded.UpdateQuotaSet(
        compute_pb2.UpdateQuotaSetRequest(
            project_id=cloud.admin.info.project_id,
            limits={"server_groups": -1, "server_group_members": -1},
        )
    )
    groups = [
        Placed(await create_group(seeded, f"g{n}", policy, **rules))
        for n, (policy, rules, _, _) in enumerate(plan)
    ]
    requests = [
        (placed, boot(seeded, f"{placed.group.name}-r{r}", size, group=placed.group.id))
        for placed, (_, _, sizes, _) in zip(groups, plan, strict=True)
        for r, size in enumerate(sizes)
    ]
    assert sum(sum(sizes) for _, _, sizes, _ in plan) >= 50
    replies = await asyncio.gather(*(request for _, request in requests))
    for (placed, _), servers in zip(requests, replies, strict=True):
        placed.members += servers
    for placed in groups:
        placed.members = await settled(seeded, placed.members)
    everything = [m for placed in groups for m in placed.members]

    assert [v for placed in groups for v in violations(placed)] == []
    for placed, (_, _, _, can_run) in zip(groups, plan, strict=True):
        assert len(placed.active) == can_run, [m.fault.details for m in placed.members]
        for failed in placed.members:
            if failed.vm_state == t.VM_STATE_ERROR:
                assert "No valid host was found" in failed.fault.message, failed.fault
    assert BIG_HOST in {m.host for m in everything}
    for name in ("scheduler", "scheduler-2"):  # both replicas placed members
        assert '"event": "placed"' in cloud.services[name].log_path.read_text(), name
    await assert_claims_match_servers(seeded, cloud_store, groups, everything)

    await delete_all(seeded, everything)
    for placed in groups:
        record = await placement.group_placement(cloud_store, placed.group.id)
        assert dict(record.record.member_hosts) == {}
    hosts = (await seeded.ListHosts(compute_pb2.ListHostsRequest())).hosts
    assert all(h.usage.instances == 0 for h in hosts)
    for placed in groups:
        await seeded.DeleteServerGroup(compute_pb2.DeleteServerGroupRequest(id=placed.group.id))
        assert await cloud_store.server_group_placements.get(placed.group.id) is None

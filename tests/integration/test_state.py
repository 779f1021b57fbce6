"""The state layer against a real etcd: CAS updates, claims, addresses, watches, leases."""

from __future__ import annotations

import asyncio

import pytest

from services.runtime import registration
from services.runtime.errors import AlreadyExists, Conflict, NotFound
from services.state import claims, ipam, keys
from services.state import etcd as ops
from services.state.etcd import Etcd, KeyValue
from services.state.etcd_server import EtcdServer
from services.state.informer import Informer
from services.state.store import Store
from stratus.v1 import types_pb2 as t
from tests.waiting import eventually

HOST = "node-1"


def allocation(instance_id: str, vcpus: int = 1) -> t.Allocation:
    return t.Allocation(instance_id=instance_id, host=HOST, vcpus=vcpus, memory_mb=512, local_gb=1)


async def test_concurrent_updates_never_lose_a_write(store: Store) -> None:
    await store.flavors.create("f", t.Flavor(id="f", name="f", vcpus=0))

    def increment(flavor: t.Flavor) -> None:
        flavor.vcpus += 1

    await asyncio.gather(*(store.flavors.update("f", increment) for _ in range(30)))
    assert (await store.flavors.require("f")).message.vcpus == 30


async def test_create_refuses_an_existing_key_and_leaves_it_unchanged(store: Store) -> None:
    await store.flavors.create("f", t.Flavor(id="f", name="first"))
    with pytest.raises(AlreadyExists):
        await store.flavors.create("f", t.Flavor(id="f", name="second"))
    assert (await store.flavors.require("f")).message.name == "first"


async def test_a_refused_mutation_writes_nothing(store: Store) -> None:
    created = await store.flavors.create("f", t.Flavor(id="f", name="f"))

    def refuse(flavor: t.Flavor) -> None:
        flavor.name = "changed"
        raise Conflict("no")

    with pytest.raises(Conflict):
        await store.flavors.update("f", refuse)
    after = await store.flavors.require("f")
    assert after.mod_revision == created.mod_revision and after.message.name == "f"


async def test_missing_record_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="Flavor nope could not be found"):
        await store.flavors.require("nope")


async def test_concurrent_claims_never_overcommit_a_host(store: Store) -> None:
    capacity = 10

    def fits(usage: t.HostUsage) -> bool:
        return usage.vcpus_used + 1 <= capacity

    results = await asyncio.gather(
        *(claims.claim(store, allocation(f"i{n}"), fits) for n in range(60))
    )
    assert sum(1 for r in results if r is not None) == capacity
    usage = (await store.host_usage.require(HOST)).message
    assert usage.vcpus_used == capacity and usage.instances == capacity


async def test_a_claim_is_released_exactly_once(store: Store) -> None:
    await claims.claim(store, allocation("a", vcpus=2), lambda usage: True)
    await claims.claim(store, allocation("b", vcpus=3), lambda usage: True)
    released = await asyncio.gather(*(claims.release(store, "a") for _ in range(10)))
    assert sum(1 for r in released if r is not None) == 1
    usage = (await store.host_usage.require(HOST)).message
    assert usage.vcpus_used == 3 and usage.instances == 1


async def test_concurrent_address_allocation_never_gives_an_address_twice(store: Store) -> None:
    network = await ipam.ensure_network(store, "private", "10.9.0.0/24")
    ids = [f"i{n}" for n in range(40)]
    for instance_id in ids:
        await store.instances.create(instance_id, t.Instance(id=instance_id))
    instances = await asyncio.gather(*(ipam.allocate(store, network, i) for i in ids))
    addresses = [i.addresses[0].addr for i in instances]
    assert len(set(addresses)) == len(ids)
    assert network.gateway not in addresses
    again = await ipam.allocate(store, network, ids[0])  # idempotent
    assert [a.addr for a in again.addresses] == [addresses[0]]


async def test_a_released_address_can_be_given_again(store: Store) -> None:
    network = await ipam.ensure_network(store, "tiny", "10.8.0.0/30")  # one usable address
    await store.instances.create("a", t.Instance(id="a"))
    await store.instances.create("b", t.Instance(id="b"))
    first = await ipam.allocate(store, network, "a")
    with pytest.raises(Conflict, match="no free address"):
        await ipam.allocate(store, network, "b")
    await store.etcd.txn([], ipam.release_ops(first))
    second = await ipam.allocate(store, network, "b")
    assert second.addresses[0].addr == first.addresses[0].addr


async def test_an_address_in_a_large_network_is_found_without_reading_the_used_ones(
    store: Store,
) -> None:
    """The cost of an allocation does not grow with the servers: a network with room is
    never listed, however many of its addresses are in use."""
    network = await ipam.ensure_network(store, "large", "10.7.0.0/16")
    in_use = {f"10.7.{n // 200}.{n % 200 + 2}" for n in range(1000)}
    batch = sorted(in_use)
    for start in range(0, len(batch), 100):
        puts = [ops.put(ipam.address_key("large", a), b"taken") for a in batch[start : start + 100]]
        assert (await store.etcd.txn([], puts)).succeeded
    listed: list[str] = []
    real_list = store.etcd.list

    async def recording_list(prefix: str) -> tuple[list[KeyValue], int]:
        listed.append(prefix)
        return await real_list(prefix)

    store.etcd.list = recording_list  # type: ignore[method-assign]
    ids = [f"l{n}" for n in range(30)]
    for instance_id in ids:
        await store.instances.create(instance_id, t.Instance(id=instance_id))
    instances = await asyncio.gather(*(ipam.allocate(store, network, i) for i in ids))
    addresses = [i.addresses[0].addr for i in instances]
    assert len(set(addresses)) == len(ids)
    assert not set(addresses) & in_use and network.gateway not in addresses
    assert not [p for p in listed if p.startswith(keys.FIXED_IPS)]


async def test_a_nearly_full_large_network_still_gives_its_last_addresses(store: Store) -> None:
    """Random tries that keep missing fall back to reading the used addresses."""
    network = await ipam.ensure_network(store, "crowded", "10.6.0.0/23")  # 510 addresses
    usable = [a for a in ipam.usable_addresses(network)]
    free = {usable[7], usable[300]}
    taken = [a for a in usable if a not in free]
    for start in range(0, len(taken), 100):
        puts = [
            ops.put(ipam.address_key("crowded", a), b"taken") for a in taken[start : start + 100]
        ]
        assert (await store.etcd.txn([], puts)).succeeded
    for instance_id in ("x", "y", "z"):
        await store.instances.create(instance_id, t.Instance(id=instance_id))
    got = {(await ipam.allocate(store, network, i)).addresses[0].addr for i in ("x", "y")}
    assert got == free
    with pytest.raises(Conflict, match="no free address"):
        await ipam.allocate(store, network, "z")


async def test_watch_survives_an_etcd_restart(etcd_server: EtcdServer) -> None:
    etcd = Etcd(etcd_server.endpoint)
    await etcd.connect()
    start = await etcd.revision()
    seen: list[str] = []

    async def follow() -> None:
        async for event in etcd.watch(keys.FLAVORS, start + 1):
            seen.append(event.key.rsplit("/", 1)[-1])

    follower = asyncio.create_task(follow())
    await etcd.put(keys.FLAVORS + "before", b"x")
    etcd_server.stop()
    etcd_server.start()
    await etcd.connect()
    writer = Etcd(etcd_server.endpoint)
    await writer.connect()
    await writer.put(keys.FLAVORS + "after", b"y")
    await eventually(lambda: seen == ["before", "after"])
    follower.cancel()
    await writer.close()
    await etcd.close()


async def test_a_service_record_disappears_when_its_lease_is_not_kept(
    etcd_server: EtcdServer,
) -> None:
    etcd = Etcd(etcd_server.endpoint)
    await etcd.connect()
    _, keeper = await registration.register(
        etcd,
        "stratus-test",
        host="h",
        grpc_endpoint="127.0.0.1:1",
        metrics_endpoint="",
        ttl_seconds=2,
    )
    assert await registration.endpoints_of(etcd, "stratus-test") == ["127.0.0.1:1"]
    # A crashed process stops refreshing: the record vanishes within its TTL.
    assert keeper._task is not None
    keeper._task.cancel()

    async def gone() -> bool:
        return not await registration.endpoints_of(etcd, "stratus-test")

    await eventually(gone, within_seconds=10)
    await etcd.close()


async def test_stopping_a_service_removes_its_record_at_once(etcd_server: EtcdServer) -> None:
    etcd = Etcd(etcd_server.endpoint)
    await etcd.connect()
    _, keeper = await registration.register(
        etcd,
        "stratus-test2",
        host="h",
        grpc_endpoint="127.0.0.1:2",
        metrics_endpoint="",
        ttl_seconds=30,
    )
    await keeper.stop()
    assert await registration.endpoints_of(etcd, "stratus-test2") == []
    await etcd.close()


async def test_an_informer_follows_etcd_past_an_unreadable_record_and_a_killed_etcd(
    etcd_server: EtcdServer,
) -> None:
    """One record the view cannot decode (written by a newer release, say) is left out
    with a warning; the view keeps following every other change, also when etcd is killed
    and started again on its data."""
    etcd = Etcd(etcd_server.endpoint)
    await etcd.connect()
    await etcd.client.delete_prefix(keys.HOSTS.encode())
    await etcd.put(keys.HOSTS + "garbled-early", b"\xff\xff not a host")
    view: Informer[t.Host] = Informer(etcd, keys.HOSTS, _host)
    await view.start()
    writer = Etcd(etcd_server.endpoint)
    await writer.connect()
    try:
        await writer.put(keys.HOSTS + "garbled", b"\xff\xff not a host")
        await writer.put(keys.HOSTS + "node-1", t.Host(name="node-1").SerializeToString())
        await eventually(lambda: "node-1" in view.items)
        assert "garbled" not in view.items and "garbled-early" not in view.items
        etcd_server.kill()
        etcd_server.start()
        await writer.put(keys.HOSTS + "node-2", t.Host(name="node-2").SerializeToString())
        await eventually(lambda: "node-2" in view.items, within_seconds=30)
        assert view.items["node-2"][0].name == "node-2"
    finally:
        await view.stop()
        await writer.close()
        await etcd.close()


def _host(raw: bytes) -> t.Host:
    host = t.Host()
    host.ParseFromString(raw)
    return host


async def test_a_transaction_sent_while_etcd_restarts_waits_for_it(
    etcd_server: EtcdServer,
) -> None:
    """A write issued while etcd is down is sent once etcd is back (within its deadline),
    instead of failing before it ever reached etcd."""
    etcd = Etcd(etcd_server.endpoint)
    await etcd.connect()
    try:
        etcd_server.kill()
        write = asyncio.create_task(etcd.put(keys.FLAVORS + "during-restart", b"x"))
        await asyncio.to_thread(etcd_server.start)
        await write
        found = await etcd.get(keys.FLAVORS + "during-restart")
        assert found is not None and found.value == b"x"
    finally:
        await etcd.close()

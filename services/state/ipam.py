"""Fixed IPv4 addresses from a configured network, one key per address in use.

An address is taken in the same transaction that records it on the instance, comparing
that the address key does not exist: never the same address twice, and no address is
taken for an instance that changed meanwhile.
"""

from __future__ import annotations

import ipaddress
import itertools
import random
from collections.abc import Callable, Iterator

from services.runtime.errors import Conflict, Unavailable
from services.state import etcd as ops
from services.state import keys
from services.state.repository import MAX_CAS_ATTEMPTS
from services.state.store import Store
from stratus.v1 import types_pb2 as t


def address_key(network: str, address: str) -> str:
    return f"{keys.FIXED_IPS}{network}/{address}"


def usable_addresses(network: t.Network) -> Iterator[str]:
    """Host addresses of the network, without the gateway."""
    for address in ipaddress.IPv4Network(network.cidr).hosts():
        text = str(address)
        if text != network.gateway:
            yield text


def mac_for(instance_id: str) -> str:
    """Nova's OpenStack MAC prefix fa:16:3e plus three bytes of the instance id."""
    tail = instance_id.replace("-", "")[-6:].rjust(6, "0")
    return "fa:16:3e:" + ":".join(tail[i : i + 2] for i in range(0, 6, 2))


async def ensure_network(store: Store, name: str, cidr: str) -> t.Network:
    """The named network, created from `cidr` on first use (gateway: first host address)."""
    found = await store.networks.get(name)
    if found is not None:
        return found.message
    parsed = ipaddress.IPv4Network(cidr)
    network = t.Network(name=name, cidr=str(parsed), gateway=str(next(parsed.hosts())))
    result = await store.etcd.txn(
        [store.networks.absent(name)], [store.networks.put_op(name, network)]
    )
    if not result.succeeded:
        return (await store.networks.require(name)).message
    return network


async def allocate(
    store: Store,
    network: t.Network,
    instance_id: str,
    also: Callable[[t.Instance], None] = lambda instance: None,
) -> t.Instance:
    """Give the instance one address of `network` (idempotent); the updated instance.

    `also` changes the instance in the same transaction (e.g. its host and task_state).
    """
    lost_race = False
    for _ in range(MAX_CAS_ATTEMPTS):
        current = await store.instances.require(instance_id)
        if any(a.network == network.name for a in current.message.addresses):
            return (await store.instances.update(instance_id, also)).message
        used_kvs, _ = await store.etcd.list(f"{keys.FIXED_IPS}{network.name}/")
        used = {kv.key.rsplit("/", 1)[-1] for kv in used_kvs}
        free = itertools.islice((a for a in usable_addresses(network) if a not in used), 256)
        # The lowest free address first; after a lost race, a random one of the next few,
        # so concurrent builds stop colliding on the same address.
        candidates = list(free) if lost_race else list(itertools.islice(free, 1))
        if not candidates:
            raise Conflict(f"no free address left in network {network.name} ({network.cidr})")
        address = random.choice(candidates)
        updated = t.Instance()
        updated.CopyFrom(current.message)
        also(updated)
        updated.addresses.add(
            network=network.name, addr=address, version=4, mac_addr=mac_for(instance_id)
        )
        result = await store.etcd.txn(
            [
                ops.absent(address_key(network.name, address)),
                store.instances.unchanged(instance_id, current.mod_revision),
            ],
            [
                ops.put(address_key(network.name, address), instance_id.encode()),
                store.instances.put_op(instance_id, updated),
            ],
        )
        if result.succeeded:
            return updated
        lost_race = True
    raise Unavailable("address allocation is too contended; try again")


def release_ops(instance: t.Instance) -> list[object]:
    """Operations that free the instance's addresses, for the transaction that deletes it."""
    return [ops.delete(address_key(a.network, a.addr)) for a in instance.addresses]

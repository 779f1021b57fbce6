"""Fixed IPv4 addresses from a configured network, one key per address in use.

An address is taken in the same transaction that records it on the instance, comparing
that the address key does not exist: never the same address twice, and no address is
taken for an instance that changed meanwhile.

Finding a free address reads nothing that grows with the servers: an allocation tries
addresses at random, so with a network a fraction `u` full it needs 1/(1-u) tries on
average (two at half full). Only a network nearly full, where random tries keep missing,
falls back to reading the addresses in use.
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


# Random tries before reading every address in use: at a network 90% full, sixteen tries
# all miss about one time in five.
RANDOM_TRIES = 16
# A /24 or smaller: reading its used addresses costs at most 254 keys.
SMALL_NETWORK_ADDRESSES = 256


def random_address(network: t.Network) -> str | None:
    """A host address of the network other than the gateway, chosen at random; None for a
    small network, whose few used addresses are read instead."""
    parsed = ipaddress.IPv4Network(network.cidr)
    if parsed.num_addresses <= SMALL_NETWORK_ADDRESSES:
        return None  # few enough to read the used ones: exact, and no wasted tries
    while True:
        # Host addresses run from the network address + 1 to the broadcast address - 1.
        offset = random.randrange(1, parsed.num_addresses - 1)
        text = str(parsed.network_address + offset)
        if text != network.gateway:
            return text


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
    for attempt in range(RANDOM_TRIES + MAX_CAS_ATTEMPTS):
        current = await store.instances.require(instance_id)
        if any(a.network == network.name for a in current.message.addresses):
            return (await store.instances.update(instance_id, also)).message
        address = random_address(network) if attempt < RANDOM_TRIES else None
        if address is None:
            # A small or nearly full network: one of the free addresses, at random, so
            # concurrent builds do not all collide on the same one.
            used_kvs, _ = await store.etcd.list(f"{keys.FIXED_IPS}{network.name}/")
            used = {kv.key.rsplit("/", 1)[-1] for kv in used_kvs}
            free = itertools.islice((a for a in usable_addresses(network) if a not in used), 256)
            candidates = list(free)
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
    raise Unavailable("address allocation is too contended; try again")


def release_ops(instance: t.Instance) -> list[object]:
    """Operations that free the instance's addresses, for the transaction that deletes it."""
    return [ops.delete(address_key(a.network, a.addr)) for a in instance.addresses]

"""What the scheduler needs to place one instance, resolved once from etcd.

The api's explain and the conductor's builds ask the same question, so both build the
scheduler's request here: the instance's zone and hints, the hosts of the servers named in
the `same_host`/`different_host` hints, and the instance's server group with the host of
each of its other members.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from services.state.store import Store
from stratus.v1 import scheduler_pb2
from stratus.v1 import types_pb2 as t

DEFAULT_ZONE = "nova"  # Nova's default_availability_zone: hosts in no zoned aggregate


def zones_of_hosts(aggregates: list[t.Aggregate]) -> dict[str, set[str]]:
    """Each host that is in a zoned aggregate, with the zones its aggregates give it."""
    zones: dict[str, set[str]] = {}
    for aggregate in aggregates:
        if aggregate.availability_zone:
            for host in aggregate.hosts:
                zones.setdefault(host, set()).add(aggregate.availability_zone)
    return zones


def host_zone(host: str, aggregates: list[t.Aggregate]) -> str:
    """The zone a host is in: its aggregates' zone, else Nova's default zone."""
    zones = zones_of_hosts(aggregates).get(host)
    return sorted(zones)[0] if zones else DEFAULT_ZONE


async def host_of(store: Store, instance_id: str) -> str:
    """Where an instance runs or is claimed to run; "" when unplaced or gone.

    The claim comes first: the scheduler records it before the conductor writes the
    instance's host, so a member being built already counts for its group.
    """
    allocation = await store.allocations.get(instance_id)
    if allocation is not None and allocation.message.host:
        return allocation.message.host
    found = await store.instances.get(instance_id)
    return found.message.host if found is not None else ""


async def hosts_of(store: Store, instance_ids: Iterable[str]) -> list[str]:
    """The hosts of the placed instances among `instance_ids`, one entry per instance."""
    hosts = await asyncio.gather(*(host_of(store, i) for i in instance_ids))
    return [h for h in hosts if h]


async def placement_request(
    store: Store, instance: t.Instance, flavor: t.Flavor, image: t.Image
) -> scheduler_pb2.SelectDestinationRequest:
    """The scheduler's request for `instance`, hints and server group resolved to hosts.

    The group is the instance's `server_group_id` (else its `group` hint); a group that no
    longer exists is left out. `group_hosts` has one entry per other placed member, so a
    host running two members appears twice (max_server_per_host counts them).
    """
    hints = instance.scheduler_hints
    request = scheduler_pb2.SelectDestinationRequest(
        instance_id=instance.id,
        flavor=flavor,
        image=image,
        project_id=instance.project_id,
        availability_zone=instance.availability_zone,
        hints=hints,
    )
    request.same_host_hosts.extend(await hosts_of(store, hints.same_host))
    request.different_host_hosts.extend(await hosts_of(store, hints.different_host))
    group_id = instance.server_group_id or hints.group
    if group_id:
        found = await store.server_groups.get(group_id)
        if found is not None:
            request.group.CopyFrom(found.message)
            others = [m for m in found.message.members if m != instance.id]
            request.group_hosts.extend(await hosts_of(store, others))
    return request

"""What the scheduler needs to place one instance, resolved once from etcd.

The api's explain and the conductor's builds ask the same question, so both build the
scheduler's request here: the instance's zone and hints, the hosts of the servers named in
the `same_host`/`different_host` hints, and the instance's server group with the host of
each of its other members.

A server group's members are placed by its placement record (`ServerGroupPlacement`),
which every claim for a member compares and writes (services.state.claims). The hard
policies are defined once, here, by `group_allows_host`: the scheduler's filters ask it of
the placement a decision read, the claim asks it again of the placement it commits onto.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.state.store import Store
from stratus.v1 import scheduler_pb2
from stratus.v1 import types_pb2 as t

DEFAULT_ZONE = "nova"  # Nova's default_availability_zone: hosts in no zoned aggregate
HARD_GROUP_POLICIES = ("affinity", "anti-affinity")


def max_server_per_host(rules: Mapping[str, str]) -> int:
    """An anti-affinity group's rule (Nova's max_server_per_host), 1 when unset or unusable."""
    try:
        return max(1, int(rules.get("max_server_per_host", 1)))
    except ValueError:
        return 1


def group_allows_host(
    policy: str, rules: Mapping[str, str], members_per_host: Mapping[str, int], host: str
) -> bool:
    """Whether a group's hard policy lets one more member onto `host`, given how many of
    its other members each host already runs.

    Affinity: every member on one host, so once any member is placed only the hosts running
    members pass (the first member fixes the host). Anti-affinity: fewer than
    max_server_per_host members on the host. Soft policies never refuse a host.
    """
    if policy == "affinity":
        return not any(members_per_host.values()) or members_per_host.get(host, 0) > 0
    if policy == "anti-affinity":
        return members_per_host.get(host, 0) < max_server_per_host(rules)
    return True


@dataclass(frozen=True)
class GroupPlacement:
    """A server group's placement as read, and the revision a claim compares it on."""

    group_id: str
    record: t.ServerGroupPlacement
    mod_revision: int  # 0: no member has been claimed since the group was created

    def members_per_host(self, excluding: str = "") -> dict[str, int]:
        """How many members each host runs, leaving out `excluding` (the one being placed)."""
        return dict(
            Counter(
                host
                for member, host in self.record.member_hosts.items()
                if member != excluding and host
            )
        )


async def group_placement(store: Store, group_id: str) -> GroupPlacement:
    """Where the members of group `group_id` are claimed, read fresh from etcd."""
    found = await store.server_group_placements.get(group_id)
    if found is None:
        return GroupPlacement(group_id, t.ServerGroupPlacement(group_id=group_id), 0)
    return GroupPlacement(group_id, found.message, found.mod_revision)


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


async def host_of(store: Store, instance_id: str, project_id: str) -> str:
    """Where an instance of project `project_id` runs or is claimed to run; "" when it is
    unplaced, gone or another project's (a hint never reveals where a stranger's server is).

    The claim comes first: the scheduler records it before the conductor writes the
    instance's host, so a server being built already counts.
    """
    found = await store.instances.get(instance_id)
    if found is None or found.message.project_id != project_id:
        return ""
    allocation = await store.allocations.get(instance_id)
    if allocation is not None and allocation.message.host:
        return allocation.message.host
    return found.message.host


async def hosts_of(store: Store, instance_ids: Iterable[str], project_id: str) -> list[str]:
    """The hosts of the placed instances of `project_id` among `instance_ids`, one entry per
    instance."""
    hosts = await asyncio.gather(*(host_of(store, i, project_id) for i in instance_ids))
    return [h for h in hosts if h]


async def placement_request(
    store: Store, instance: t.Instance, flavor: t.Flavor, image: t.Image
) -> scheduler_pb2.SelectDestinationRequest:
    """The scheduler's request for `instance`, hints and server group resolved to hosts.

    The group is the instance's `server_group_id` (else its `group` hint); a group that no
    longer exists is left out. `group_hosts` has one entry per other claimed member (from
    the group's placement record), so a host running two members appears twice
    (max_server_per_host counts them). The scheduler reads the placement again itself
    before it decides; this copy serves explain.
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
    project = instance.project_id
    request.same_host_hosts.extend(await hosts_of(store, hints.same_host, project))
    request.different_host_hosts.extend(await hosts_of(store, hints.different_host, project))
    group_id = instance.server_group_id or hints.group
    if group_id:
        found = await store.server_groups.get(group_id)
        if found is not None:
            request.group.CopyFrom(found.message)
            placed = await group_placement(store, group_id)
            for host, members in sorted(placed.members_per_host(excluding=instance.id).items()):
                request.group_hosts.extend([host] * members)
    return request

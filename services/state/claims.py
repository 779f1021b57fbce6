"""Resource claims: an instance's allocation on a host, recorded by compare-and-swap.

A claim writes the instance's allocation and the host's new usage in one transaction that
compares the usage's mod_revision with the one the fit check read, so two schedulers
can never both take the last room on a host. A release deletes the allocation and
subtracts it in one transaction that compares both keys, so it happens exactly once.

A member of a server group is claimed together with its group's placement: the same
transaction compares the placement record's revision (or its absence, while the group
still exists) and writes the member's host into it, after checking the group's hard
policy against exactly that record. Two members racing for one host of an anti-affinity
group, or for two hosts of an affinity group, cannot both commit; the loser re-reads and
is refused or retries. Its release takes the member out of the record in the release's
transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from services.runtime.errors import Unavailable
from services.state import placement
from services.state.repository import MAX_CAS_ATTEMPTS, Versioned
from services.state.store import Store
from stratus.v1 import types_pb2 as t

# How long a failed build on a host is remembered when the next one fails.
FAILURE_MEMORY_SECONDS = 600


def add_allocation(usage: t.HostUsage, allocation: t.Allocation, sign: int) -> t.HostUsage:
    result = t.HostUsage()
    result.CopyFrom(usage)
    result.host = allocation.host
    result.vcpus_used += sign * allocation.vcpus
    result.memory_mb_used += sign * allocation.memory_mb
    result.local_gb_used += sign * allocation.local_gb
    result.instances += sign
    return result


async def _group_terms(
    store: Store, group: t.ServerGroup, allocation: t.Allocation
) -> tuple[list[Any], list[Any]] | None:
    """The compares and writes that add the member to its group's placement; None when the
    group's hard policy refuses the host. No terms at all when the group is gone."""
    placed = await placement.group_placement(store, group.id)
    if placed.mod_revision == 0 and await store.server_groups.get(group.id) is None:
        return [], []  # deleted: nothing left to keep, nor a record to leave behind
    others = placed.members_per_host(excluding=allocation.instance_id)
    if not placement.group_allows_host(group.policy, group.rules, others, allocation.host):
        return None
    record = t.ServerGroupPlacement()
    record.CopyFrom(placed.record)
    record.group_id = group.id
    record.member_hosts[allocation.instance_id] = allocation.host
    compare = [store.server_group_placements.unchanged(group.id, placed.mod_revision)]
    if placed.mod_revision == 0:
        # Created by this claim: only while the group exists, so a deleted group's record
        # is never written again.
        compare.append(store.server_groups.present(group.id))
    return compare, [store.server_group_placements.put_op(group.id, record)]


async def claim(
    store: Store,
    allocation: t.Allocation,
    fits: Callable[[t.HostUsage], bool],
    *,
    group: t.ServerGroup | None = None,
) -> Versioned[t.HostUsage] | None:
    """Claim `allocation` on its host if `fits(current usage)` and, for a member of `group`,
    the group's hard policy allows the host; the new usage, or None.

    Re-reads and re-checks after every lost race, so both checks always hold for the usage
    and the group placement the claim is added to.
    """
    host = allocation.host
    if group is not None and allocation.server_group_id != group.id:
        named = t.Allocation()
        named.CopyFrom(allocation)
        named.server_group_id = group.id  # so that its release finds the group
        allocation = named
    for _ in range(MAX_CAS_ATTEMPTS):
        current = await store.host_usage.get(host)
        usage = current.message if current else t.HostUsage(host=host)
        revision = current.mod_revision if current else 0
        if not fits(usage):
            return None
        group_compare: list[Any] = []
        group_writes: list[Any] = []
        if group is not None:
            terms = await _group_terms(store, group, allocation)
            if terms is None:
                return None
            group_compare, group_writes = terms
        updated = add_allocation(usage, allocation, +1)
        result = await store.etcd.txn(
            [
                store.host_usage.unchanged(host, revision),
                store.allocations.absent(allocation.instance_id),
                *group_compare,
            ],
            [
                store.host_usage.put_op(host, updated),
                store.allocations.put_op(allocation.instance_id, allocation),
                *group_writes,
            ],
        )
        if result.succeeded:
            return Versioned(host, updated, result.revision)
        existing = await store.allocations.get(allocation.instance_id)
        if existing is not None:
            if existing.message.host != host:
                raise Unavailable(
                    f"instance {allocation.instance_id} already holds a claim on "
                    f"{existing.message.host}"
                )
            return await store.host_usage.require(host)  # our earlier attempt committed
    raise Unavailable(f"host {host} is too contended to claim on; try again")


async def release(
    store: Store, instance_id: str, *, build_failed: bool = False
) -> t.Allocation | None:
    """Release the instance's claim; the released allocation, or None if there was none.

    `build_failed` also counts a failed build against the host, in the same write, so that
    BuildFailureWeigher sinks hosts that keep failing.
    """
    for _ in range(MAX_CAS_ATTEMPTS):
        found = await store.allocations.get(instance_id)
        if found is None:
            return None
        allocation = found.message
        current = await store.host_usage.get(allocation.host)
        usage = current.message if current else t.HostUsage(host=allocation.host)
        revision = current.mod_revision if current else 0
        released = add_allocation(usage, allocation, -1)
        if build_failed:
            # A run of failures counts; one long ago does not add to a new one.
            stale = time.time() - usage.last_build_failure_at.seconds > FAILURE_MEMORY_SECONDS
            released.recent_build_failures = 1 if stale else usage.recent_build_failures + 1
            released.last_build_failure_at.GetCurrentTime()
        group_compare, group_writes = await _leave_group_terms(store, allocation)
        result = await store.etcd.txn(
            [
                store.allocations.unchanged(instance_id, found.mod_revision),
                store.host_usage.unchanged(allocation.host, revision),
                *group_compare,
            ],
            [
                store.allocations.delete_op(instance_id),
                store.host_usage.put_op(allocation.host, released),
                *group_writes,
            ],
        )
        if result.succeeded:
            return allocation
    raise Unavailable(f"could not release the claim of {instance_id}; try again")


async def _leave_group_terms(store: Store, allocation: t.Allocation) -> tuple[list[Any], list[Any]]:
    """The compares and writes that take a released member out of its group's placement
    (none when it is not in it, or the group is gone with its record)."""
    group_id = allocation.server_group_id
    if not group_id:
        return [], []
    placed = await placement.group_placement(store, group_id)
    if allocation.instance_id not in placed.record.member_hosts:
        return [], []
    record = t.ServerGroupPlacement()
    record.CopyFrom(placed.record)
    del record.member_hosts[allocation.instance_id]
    return (
        [store.server_group_placements.unchanged(group_id, placed.mod_revision)],
        [store.server_group_placements.put_op(group_id, record)],
    )

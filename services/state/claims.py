"""Resource claims: an instance's allocation on a host, recorded by compare-and-swap.

A claim writes the instance's allocation and the host's new usage in one transaction that
compares the usage's mod_revision with the one the fit check read, so two schedulers
can never both take the last room on a host. A release deletes the allocation and
subtracts it in one transaction that compares both keys, so it happens exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from services.runtime.errors import Unavailable
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


async def claim(
    store: Store, allocation: t.Allocation, fits: Callable[[t.HostUsage], bool]
) -> Versioned[t.HostUsage] | None:
    """Claim `allocation` on its host if `fits(current usage)`; the new usage, or None.

    Re-reads and re-checks after every lost race, so the check always holds for the usage
    the claim is added to.
    """
    host = allocation.host
    for _ in range(MAX_CAS_ATTEMPTS):
        current = await store.host_usage.get(host)
        usage = current.message if current else t.HostUsage(host=host)
        revision = current.mod_revision if current else 0
        if not fits(usage):
            return None
        updated = add_allocation(usage, allocation, +1)
        result = await store.etcd.txn(
            [
                store.host_usage.unchanged(host, revision),
                store.allocations.absent(allocation.instance_id),
            ],
            [
                store.host_usage.put_op(host, updated),
                store.allocations.put_op(allocation.instance_id, allocation),
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
        result = await store.etcd.txn(
            [
                store.allocations.unchanged(instance_id, found.mod_revision),
                store.host_usage.unchanged(allocation.host, revision),
            ],
            [
                store.allocations.delete_op(instance_id),
                store.host_usage.put_op(allocation.host, released),
            ],
        )
        if result.succeeded:
            return allocation
    raise Unavailable(f"could not release the claim of {instance_id}; try again")

"""Quota usage in etcd: claimed and released by compare-and-swap, like host claims.

Each project has one usage record (`/stratus/v1/quota_usage/<project>`). A server's claim
is written in the transaction that records the server: the project's new usage, compared
on the mod_revision the quota check read, and the server's charge
(`/stratus/v1/quota_charges/<instance id>`, what it counts). Two requests can therefore
never both pass a quota: the second one's compare fails and it checks again.

The release deletes the charge and subtracts it in one transaction that compares both
keys, so it happens exactly once however often a delete is retried: a second attempt finds
no charge. A server that failed to build (ERROR) keeps its charge until it is deleted, as
Nova keeps counting ERROR instances.

Deleting a project compares its usage record too, and leaves it marked `project_deleted`:
a boot that read the usage before the delete loses its compare, and one that reads it
after (with a token not yet revoked) is refused here, so no server outlives its project.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.runtime.errors import Unauthenticated, Unavailable
from services.state.repository import MAX_CAS_ATTEMPTS, Versioned
from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t


def charge_of(instance: t.Instance) -> compute_pb2.QuotaCharge:
    """What a server counts against its project's quota."""
    return compute_pb2.QuotaCharge(
        project_id=instance.project_id,
        amounts={"instances": 1, "cores": instance.flavor.vcpus, "ram": instance.flavor.ram_mb},
    )


def added(
    usage: compute_pb2.QuotaUsage, amounts: Mapping[str, int], sign: int = 1
) -> compute_pb2.QuotaUsage:
    """`usage` with `amounts` added (sign 1) or taken away (sign -1); never below zero.

    A deleted project takes no new charge: Unauthenticated (its tokens are being revoked).
    """
    if usage.project_deleted and sign > 0 and any(amount > 0 for amount in amounts.values()):
        raise Unauthenticated(f"Project {usage.project_id} has been deleted.")
    result = compute_pb2.QuotaUsage()
    result.CopyFrom(usage)
    for resource, amount in amounts.items():
        result.in_use[resource] = max(0, result.in_use[resource] + sign * amount)
    return result


async def usage_of(store: Store, project_id: str) -> Versioned[compute_pb2.QuotaUsage]:
    """The project's usage and the revision to compare it on (0: nothing recorded yet)."""
    found = await store.quota_usage.get(project_id)
    if found is not None:
        return found
    return Versioned(project_id, compute_pb2.QuotaUsage(project_id=project_id), 0)


async def release(store: Store, instance_id: str, *, also: Sequence[Any] = ()) -> bool:
    """Give back what the server counts, together with the writes in `also`.

    True when this call released the charge; False when there was none (never charged, or
    released already), and then `also` is written on its own.
    """
    for _ in range(MAX_CAS_ATTEMPTS):
        charge = await store.quota_charges.get(instance_id)
        if charge is None:
            if also:
                await store.etcd.txn([], list(also))
            return False
        project_id = charge.message.project_id
        usage = await usage_of(store, project_id)
        result = await store.etcd.txn(
            [
                store.quota_charges.unchanged(instance_id, charge.mod_revision),
                store.quota_usage.unchanged(project_id, usage.mod_revision),
            ],
            [
                store.quota_charges.delete_op(instance_id),
                store.quota_usage.put_op(
                    project_id, added(usage.message, charge.message.amounts, -1)
                ),
                *also,
            ],
        )
        if result.succeeded:
            return True
    raise Unavailable(f"could not release the quota charge of {instance_id}; try again")

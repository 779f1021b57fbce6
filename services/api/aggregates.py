"""Host aggregates and availability zones (Nova's os-aggregates and os-availability-zone).

An aggregate is a named set of hosts with metadata; its `availability_zone` field makes its
hosts a zone (the REST view also shows it as the `availability_zone` metadata key, as Nova
does). A host belongs to at most one zone: every change that could give a host a second
zone is checked against all aggregates and written with a compare on each of them, so two
concurrent changes cannot both pass the check.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from services.api import policy
from services.api.validation import check_metadata, check_name, check_zone_name
from services.runtime.context import RequestContext
from services.runtime.errors import Conflict, InvalidArgument, NotFound, Unavailable
from services.state import actions
from services.state.placement import host_zone, zones_of_hosts
from services.state.repository import MAX_CAS_ATTEMPTS, Versioned
from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t

ZONE_KEY = "availability_zone"
RATIO_KEYS = ("cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio")
MAX_METADATA_LENGTH = 255


def zones_by_host(hosts: list[str], aggregates: list[t.Aggregate]) -> dict[str, list[str]]:
    """Every zone that has at least one of `hosts`, with its hosts (sorted)."""
    zones: dict[str, list[str]] = {}
    for host in sorted(hosts):
        zones.setdefault(host_zone(host, aggregates), []).append(host)
    return zones


def _ratio(key: str, value: str) -> None:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise InvalidArgument(f"Invalid value {value!r} for {key}: must be a positive number.")


class AggregateOps:
    """The aggregate and availability zone operations of the service layer (admins only,
    except the list of zones)."""

    store: Store

    # Reads.

    async def list_aggregates(self, ctx: RequestContext) -> list[t.Aggregate]:
        policy.enforce(ctx, "compute:list_aggregates")
        found, _ = await self.store.aggregates.list()
        return sorted(
            (a.message for a in found), key=lambda a: (a.created_at.seconds, a.created_at.nanos)
        )

    async def get_aggregate(self, ctx: RequestContext, aggregate_id: str) -> t.Aggregate:
        policy.enforce(ctx, "compute:get_aggregate")
        return (await self._aggregate(aggregate_id)).message

    async def _aggregate(self, aggregate_id: str) -> Versioned[t.Aggregate]:
        found = await self.store.aggregates.get(aggregate_id)
        if found is None:
            raise NotFound(f"Aggregate {aggregate_id} could not be found.")
        return found

    # Writes.

    async def create_aggregate(
        self, ctx: RequestContext, name: str, availability_zone: str = ""
    ) -> t.Aggregate:
        policy.enforce(ctx, "compute:create_aggregate")
        check_name("Aggregate", name)
        if availability_zone:
            check_zone_name(availability_zone)
        existing, _ = await self.store.aggregates.list()
        if any(a.message.name == name for a in existing):
            raise Conflict(f"Aggregate {name} already exists.")
        aggregate = t.Aggregate(
            id=str(uuid.uuid4()),
            name=name,
            availability_zone=availability_zone,
            created_at=actions.now(),
        )
        await self.store.aggregates.create(aggregate.id, aggregate)
        return aggregate

    async def update_aggregate(
        self,
        ctx: RequestContext,
        aggregate_id: str,
        *,
        name: str | None = None,
        availability_zone: str | None = None,
    ) -> t.Aggregate:
        """New name and/or zone; None keeps one, an empty zone removes the zone."""
        policy.enforce(ctx, "compute:update_aggregate")
        if name is None and availability_zone is None:
            raise InvalidArgument("Nothing to update: give a name or an availability_zone.")
        if name is not None:
            check_name("Aggregate", name)
        if availability_zone:
            check_zone_name(availability_zone)

        def apply(aggregate: t.Aggregate, others: list[t.Aggregate]) -> None:
            if name is not None and name != aggregate.name:
                if any(o.name == name for o in others):
                    raise Conflict(f"Aggregate {name} already exists.")
                aggregate.name = name
            if availability_zone is not None:
                aggregate.availability_zone = availability_zone

        return await self._change(aggregate_id, apply, f"Cannot update aggregate {aggregate_id}")

    async def delete_aggregate(self, ctx: RequestContext, aggregate_id: str) -> None:
        """Nova refuses to delete an aggregate that still has hosts (400)."""
        policy.enforce(ctx, "compute:delete_aggregate")
        for _ in range(MAX_CAS_ATTEMPTS):
            current = await self._aggregate(aggregate_id)
            if current.message.hosts:
                raise InvalidArgument(
                    f"Cannot remove aggregate {aggregate_id}. Reason: Host aggregate is not empty"
                )
            result = await self.store.etcd.txn(
                [self.store.aggregates.unchanged(aggregate_id, current.mod_revision)],
                [self.store.aggregates.delete_op(aggregate_id)],
            )
            if result.succeeded:
                return
        raise Unavailable(f"Aggregate {aggregate_id} is changing too fast; try again.")

    async def add_aggregate_host(
        self, ctx: RequestContext, aggregate_id: str, host: str
    ) -> t.Aggregate:
        policy.enforce(ctx, "compute:add_aggregate_host")
        await self._aggregate(aggregate_id)
        if not host or await self.store.hosts.get(host) is None:
            raise NotFound(f"Compute host {host} could not be found.")

        def apply(aggregate: t.Aggregate, _: list[t.Aggregate]) -> None:
            if host in aggregate.hosts:
                raise Conflict(f"Aggregate {aggregate_id} already has host {host}.")
            aggregate.hosts.append(host)

        # Nova answers a second zone for a host on add_host with 409, like a duplicate.
        return await self._change(
            aggregate_id, apply, f"Cannot add host to aggregate {aggregate_id}", Conflict
        )

    async def remove_aggregate_host(
        self, ctx: RequestContext, aggregate_id: str, host: str
    ) -> t.Aggregate:
        policy.enforce(ctx, "compute:remove_aggregate_host")

        def apply(aggregate: t.Aggregate, _: list[t.Aggregate]) -> None:
            if host not in aggregate.hosts:
                raise NotFound(f"Cannot remove host {host} in aggregate {aggregate_id}")
            aggregate.hosts.remove(host)

        await self._aggregate(aggregate_id)
        return await self._change(aggregate_id, apply, f"Cannot remove host {host}")

    async def set_aggregate_metadata(
        self, ctx: RequestContext, aggregate_id: str, metadata: dict[str, str | None]
    ) -> t.Aggregate:
        """Merge `metadata`; a key whose value is None or "" is removed.

        `availability_zone` sets (or removes) the aggregate's zone; the allocation ratio keys
        must be positive numbers.
        """
        policy.enforce(ctx, "compute:set_aggregate_metadata")
        for key, value in metadata.items():
            check_metadata({key: value or ""}, max_items=None)  # Nova's keys, printable values
            if value is None or value == "":
                continue
            if key == ZONE_KEY:
                check_zone_name(value)
            if key in RATIO_KEYS:
                _ratio(key, value)

        def apply(aggregate: t.Aggregate, _: list[t.Aggregate]) -> None:
            for key, value in metadata.items():
                if key == ZONE_KEY:
                    aggregate.availability_zone = value or ""
                elif value:
                    aggregate.metadata[key] = value
                elif key in aggregate.metadata:
                    del aggregate.metadata[key]

        await self._aggregate(aggregate_id)
        return await self._change(
            aggregate_id, apply, f"Cannot update metadata of aggregate {aggregate_id}"
        )

    async def _change(
        self,
        aggregate_id: str,
        apply: Callable[[t.Aggregate, list[t.Aggregate]], None],
        refusal: str,
        zone_error: type[InvalidArgument] | type[Conflict] = InvalidArgument,
    ) -> t.Aggregate:
        """Apply a change to one aggregate, keeping every host in at most one zone.

        The write compares every aggregate read, so a concurrent change to another one
        (which could give a host a second zone) makes it retry from a fresh read.
        """
        for _ in range(MAX_CAS_ATTEMPTS):
            found, _ = await self.store.aggregates.list()
            current = next((a for a in found if a.id == aggregate_id), None)
            if current is None:
                raise NotFound(f"Aggregate {aggregate_id} could not be found.")
            others = [a.message for a in found if a.id != aggregate_id]
            updated = t.Aggregate()
            updated.CopyFrom(current.message)
            apply(updated, others)
            zones = zones_of_hosts([*others, updated])
            clashes = sorted(
                {z for h in updated.hosts if len(zones.get(h, ())) > 1 for z in zones[h]}
                - {updated.availability_zone}
            )
            if clashes:
                raise zone_error(
                    f"{refusal}. Reason: One or more hosts already in availability zone(s) "
                    f"{clashes}."
                )
            updated.updated_at.CopyFrom(actions.now())
            result = await self.store.etcd.txn(
                [self.store.aggregates.unchanged(a.id, a.mod_revision) for a in found],
                [self.store.aggregates.put_op(aggregate_id, updated)],
            )
            if result.succeeded:
                return updated
        raise Unavailable(f"Aggregate {aggregate_id} is changing too fast; try again.")

    # Zones.

    async def list_availability_zones(
        self, ctx: RequestContext, detail: bool = False
    ) -> list[compute_pb2.AvailabilityZone]:
        """Every zone with at least one host; available when one of its hosts is enabled.

        With `detail` (admins only) each zone lists its hosts.
        """
        policy.enforce(
            ctx,
            "compute:list_availability_zones:detail"
            if detail
            else "compute:list_availability_zones",
        )
        hosts, _ = await self.store.hosts.list()
        aggregates, _ = await self.store.aggregates.list()
        enabled = {h.id for h in hosts if h.message.enabled}
        grouped = zones_by_host([h.id for h in hosts], [a.message for a in aggregates])
        return [
            compute_pb2.AvailabilityZone(
                name=zone,
                available=any(h in enabled for h in members),
                hosts=members if detail else [],
            )
            for zone, members in sorted(grouped.items())
        ]

    async def _available_zones(self) -> set[str]:
        """The zones a server may be booted into."""
        hosts, _ = await self.store.hosts.list()
        aggregates, _ = await self.store.aggregates.list()
        enabled = [h.id for h in hosts if h.message.enabled]
        return set(zones_by_host(enabled, [a.message for a in aggregates]))

"""A host's instance limit holds at claim time: schedulers racing for a host's last
instance slot cannot both take it, whatever room its vCPUs, RAM and disk still have.

NumInstancesFilter decides from each scheduler's own view, which a concurrent claim by
another replica has not reached yet; the claim re-checks the limit against the usage it
compares on, as it does the resources.
"""

from __future__ import annotations

import asyncio

from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.num_instances_filter import NumInstancesFilter
from services.scheduler.host_state import HostState
from services.scheduler.manager import SchedulerManager, fits_now
from services.scheduler.request_spec import RequestSpec
from services.state import claims
from services.state.store import Store
from stratus.v1 import types_pb2 as t

ROOMY = HostState(name="node-1", vcpus=64, memory_mb=262144, local_gb=4096)


def small(instance_id: str) -> tuple[t.Allocation, RequestSpec]:
    spec = RequestSpec(instance_id=instance_id, vcpus=1, memory_mb=512, disk_gb=1)
    allocation = t.Allocation(
        instance_id=instance_id, host=ROOMY.name, vcpus=1, memory_mb=512, local_gb=1
    )
    return allocation, spec


async def test_racing_claims_never_pass_the_hosts_instance_limit(store: Store) -> None:
    limit = 3
    requests = [small(f"i{n}") for n in range(12)]
    won = await asyncio.gather(
        *(
            claims.claim(store, allocation, fits_now(ROOMY, spec, max_instances=limit))
            for allocation, spec in requests
        )
    )
    assert sum(1 for w in won if w is not None) == limit
    assert (await store.host_usage.require(ROOMY.name)).message.instances == limit


async def test_without_a_limit_only_resources_bound_the_claims(store: Store) -> None:
    won = await asyncio.gather(
        *(
            claims.claim(store, allocation, fits_now(ROOMY, spec))
            for allocation, spec in (small(f"j{n}") for n in range(5))
        )
    )
    assert all(w is not None for w in won)


def test_the_claim_uses_the_limit_numinstancesfilter_gives_the_host() -> None:
    config = SchedulerConfig(max_instances_per_host=50)
    manager = SchedulerManager(None, None, [NumInstancesFilter(config)], [])  # type: ignore[arg-type]
    in_aggregate = HostState(
        name="node-2", aggregate_metadata={"max_instances_per_host": frozenset({"80"})}
    )
    assert manager._max_instances(ROOMY) == 50
    assert manager._max_instances(in_aggregate) == 80  # an aggregate's value replaces it
    assert SchedulerManager(None, None, [], [])._max_instances(ROOMY) is None  # type: ignore[arg-type]

"""The resource filters and the claim-time check, as Nova's Core/Ram/Disk filters decide.

Nova (Rocky's core_filter.py, ram_filter.py, disk_filter.py and their Aggregate*
variants, nova/scheduler/filters/utils.py): an instance never over-commits against
itself, so its vCPUs, RAM and disk must each fit the host's physical total whatever the
allocation ratio; what is free under `total x ratio - used` must hold it too. The ratio
and `max_instances_per_host` come from the host's aggregates when they set them (the
lowest of their values, also above the configured default), else from configuration.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.base import BaseFilter
from services.scheduler.filters.core_filter import CoreFilter
from services.scheduler.filters.disk_filter import DiskFilter
from services.scheduler.filters.num_instances_filter import NumInstancesFilter
from services.scheduler.filters.ram_filter import RamFilter
from services.scheduler.host_state import Defaults, HostState, HostTable, build_state
from services.scheduler.manager import fits_now
from services.scheduler.request_spec import RequestSpec
from stratus.v1 import types_pb2 as t

CONFIG = SchedulerConfig()
# 16 vCPUs, 40 GB RAM, 40 GB disk; ratios large enough that only the physical total binds.
HOST = HostState(
    name="h",
    vcpus=16,
    memory_mb=40960,
    local_gb=40,
    cpu_allocation_ratio=16.0,
    ram_allocation_ratio=1.5,
    disk_allocation_ratio=2.0,
)
SPEC = RequestSpec(instance_id="i", vcpus=1, memory_mb=512, disk_gb=1)


def both_forms(host_filter: BaseFilter, host: HostState, spec: RequestSpec) -> bool:
    """The filter's answer for one host, asserting its column form answers the same."""
    table = HostTable()
    table.upsert(host)
    one = host_filter.host_passes(host, spec)
    assert host_filter.passes(table, np.arange(1), spec).tolist() == [one]
    return one


def claim_fits(host: HostState, spec: RequestSpec) -> bool:
    """What the claim transaction decides for `spec` on `host` at its current usage."""
    usage = t.HostUsage(
        host=host.name,
        vcpus_used=host.vcpus_used,
        memory_mb_used=host.memory_mb_used,
        local_gb_used=host.local_gb_used,
    )
    return fits_now(host, spec)(usage)


# (filter, host changes, request changes): every case below passes; the matching FAILS
# case changes one number by one.
PASSES = [
    ("CoreFilter", {}, {"vcpus": 16}),  # exactly the physical total
    ("CoreFilter", {"vcpus_used": 240}, {"vcpus": 16}),  # 16 x 16 - 240 = 16 left
    ("CoreFilter", {"cpu_allocation_ratio": 1.0, "vcpus_used": 12}, {"vcpus": 4}),
    ("RamFilter", {}, {"memory_mb": 40960}),
    ("RamFilter", {"memory_mb_used": 20480}, {"memory_mb": 40960}),  # 61440 - 20480
    ("RamFilter", {"ram_allocation_ratio": 1.0, "memory_mb_used": 40448}, {}),
    ("DiskFilter", {}, {"disk_gb": 40}),
    ("DiskFilter", {"local_gb_used": 40}, {"disk_gb": 40}),  # 80 - 40
    ("DiskFilter", {"disk_allocation_ratio": 1.0, "local_gb_used": 39}, {}),
    ("DiskFilter", {"local_gb_used": 80}, {"disk_gb": 0}),  # nothing asked, nothing over
]
FAILS = [
    # A request bigger than the host, however generous the ratio (the reported defects:
    # 17 vCPUs on 16, 45 GB of RAM on 40 GB).
    ("CoreFilter", {}, {"vcpus": 17}),
    ("CoreFilter", {"cpu_allocation_ratio": 1000.0}, {"vcpus": 17}),
    ("CoreFilter", {"vcpus": 4}, {"vcpus": 12}),
    ("RamFilter", {}, {"memory_mb": 40961}),
    ("RamFilter", {}, {"memory_mb": 46080}),
    ("DiskFilter", {}, {"disk_gb": 41}),
    ("DiskFilter", {"disk_allocation_ratio": 100.0}, {"disk_gb": 45}),
    # Fits the host, but not what is left under the ratio.
    ("CoreFilter", {"vcpus_used": 241}, {"vcpus": 16}),
    ("CoreFilter", {"cpu_allocation_ratio": 1.0, "vcpus_used": 13}, {"vcpus": 4}),
    ("RamFilter", {"memory_mb_used": 20481}, {"memory_mb": 40960}),
    ("RamFilter", {"ram_allocation_ratio": 1.0, "memory_mb_used": 40449}, {}),
    ("DiskFilter", {"local_gb_used": 41}, {"disk_gb": 40}),
    ("DiskFilter", {"disk_allocation_ratio": 1.0, "local_gb_used": 40}, {}),
    ("DiskFilter", {"local_gb_used": 81}, {"disk_gb": 0}),  # already over: Nova fails it
    # A host that reports no vCPUs takes nothing (Nova passes it as "collection broken";
    # Stratus's agents always report, so a zero is a host with nothing to give).
    ("CoreFilter", {"vcpus": 0}, {"vcpus": 1}),
]
FILTERS = {"CoreFilter": CoreFilter, "RamFilter": RamFilter, "DiskFilter": DiskFilter}


@pytest.mark.parametrize(("name", "host", "request_"), PASSES)
def test_resource_filter_passes(name: str, host: dict, request_: dict) -> None:  # type: ignore[type-arg]
    state, spec = replace(HOST, **host), replace(SPEC, **request_)
    assert both_forms(FILTERS[name](CONFIG), state, spec)
    assert claim_fits(state, spec)


@pytest.mark.parametrize(("name", "host", "request_"), FAILS)
def test_resource_filter_fails(name: str, host: dict, request_: dict) -> None:  # type: ignore[type-arg]
    state, spec = replace(HOST, **host), replace(SPEC, **request_)
    assert not both_forms(FILTERS[name](CONFIG), state, spec)
    assert not claim_fits(state, spec)  # the claim refuses what the filter refuses


def test_the_claim_checks_the_physical_total_against_fresh_usage() -> None:
    # The host was empty when weighed; the claim reads usage again and still refuses a
    # request bigger than the host, however little is used.
    big = replace(SPEC, vcpus=17)
    assert not fits_now(HOST, big)(t.HostUsage(host="h"))
    assert fits_now(HOST, replace(SPEC, vcpus=16))(t.HostUsage(host="h", vcpus_used=240))
    assert not fits_now(HOST, replace(SPEC, vcpus=16))(t.HostUsage(host="h", vcpus_used=241))


REPORT = t.Host(name="h", vcpus=4, memory_mb=8192, local_gb=100, enabled=True)


DEFAULTS = Defaults()


def state_in(*metadata: dict[str, str], defaults: Defaults = DEFAULTS) -> HostState:
    aggregates = [
        t.Aggregate(id=f"a{i}", hosts=["h"], metadata=meta) for i, meta in enumerate(metadata)
    ]
    return build_state("h", REPORT, True, t.HostUsage(host="h"), aggregates, defaults, 0.0)


def test_no_aggregate_ratio_leaves_the_configured_one() -> None:
    state = state_in({"ssd": "true"}, defaults=Defaults(cpu_allocation_ratio=3.0))
    assert state.cpu_allocation_ratio == 3.0


def test_an_aggregate_ratio_above_the_configured_one_replaces_it() -> None:
    state = state_in({"cpu_allocation_ratio": "32.0", "ram_allocation_ratio": "4"})
    assert (state.cpu_allocation_ratio, state.ram_allocation_ratio) == (32.0, 4.0)
    assert state.disk_allocation_ratio == Defaults().disk_allocation_ratio


def test_several_aggregates_give_their_lowest_ratio() -> None:
    state = state_in({"disk_allocation_ratio": "3"}, {"disk_allocation_ratio": "2.5"})
    assert state.disk_allocation_ratio == 2.5


def test_an_unreadable_aggregate_ratio_falls_back_to_the_configured_one() -> None:
    # Nova's validate_num_values raises on the cast; the Aggregate*Filter logs and uses
    # the default, not the lowest of the values it could read.
    state = state_in({"cpu_allocation_ratio": "0.5"}, {"cpu_allocation_ratio": "lots"})
    assert state.cpu_allocation_ratio == Defaults().cpu_allocation_ratio


def test_a_larger_aggregate_ratio_lets_more_fit() -> None:
    spec = replace(SPEC, vcpus=4)
    full = replace(state_in({"cpu_allocation_ratio": "32"}), vcpus_used=124)
    assert both_forms(CoreFilter(CONFIG), full, spec)  # 4 x 32 - 124 = 4 left
    assert not both_forms(CoreFilter(CONFIG), replace(full, vcpus_used=125), spec)


def limited(instances: int, *limits: str) -> HostState:
    metadata = {"max_instances_per_host": frozenset(limits)} if limits else {}
    return replace(HOST, instances=instances, aggregate_metadata=metadata)


TEN = replace(CONFIG, max_instances_per_host=10)


@pytest.mark.parametrize(
    ("host", "why"),
    [
        (limited(9), "below the configured limit"),
        (limited(19, "20"), "an aggregate's limit above the configured one replaces it"),
        (limited(4, "5", "8"), "several aggregates: below the lowest"),
        (limited(9, "3", "many"), "an unreadable value: the configured limit"),
    ],
)
def test_num_instances_filter_passes(host: HostState, why: str) -> None:
    assert both_forms(NumInstancesFilter(TEN), host, SPEC), why


@pytest.mark.parametrize(
    ("host", "why"),
    [
        (limited(10), "at the configured limit"),
        (limited(20, "20"), "at an aggregate's limit above the configured one"),
        (limited(5, "5", "8"), "several aggregates: at the lowest"),
        (limited(3, "3"), "an aggregate's limit below the configured one"),
        (limited(10, "3", "many"), "an unreadable value: at the configured limit"),
    ],
)
def test_num_instances_filter_fails(host: HostState, why: str) -> None:
    assert not both_forms(NumInstancesFilter(TEN), host, SPEC), why

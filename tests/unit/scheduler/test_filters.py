"""Each filter passes or fails one host for one request; weighing orders the survivors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from services.scheduler import filters
from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.compute_filter import ComputeFilter
from services.scheduler.filters.core_filter import CoreFilter
from services.scheduler.filters.disk_filter import DiskFilter
from services.scheduler.filters.ram_filter import RamFilter
from services.scheduler.filters.retry_filter import RetryFilter
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.manager import explain_no_valid_host, run_filters
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers import weigh
from services.scheduler.weighers.ram_weigher import RAMWeigher

RATIOS = SchedulerConfig()
HOST = HostState(
    name="node-1",
    up=True,
    enabled=True,
    vcpus=4,
    memory_mb=8192,
    local_gb=100,
    vcpus_used=0,
    memory_mb_used=0,
    local_gb_used=0,
    instances=0,
    cpu_allocation_ratio=2.0,
    ram_allocation_ratio=1.0,
    disk_allocation_ratio=1.0,
)
SPEC = RequestSpec(instance_id="i", vcpus=2, memory_mb=2048, disk_gb=20, ignore_hosts=frozenset())


def test_compute_filter_passes_an_up_enabled_host() -> None:
    assert ComputeFilter(RATIOS).host_passes(HOST, SPEC)


@pytest.mark.parametrize("change", [{"up": False}, {"enabled": False}])
def test_compute_filter_fails_a_down_or_disabled_host(change: dict[str, bool]) -> None:
    assert not ComputeFilter(RATIOS).host_passes(replace(HOST, **change), SPEC)


def test_retry_filter_fails_hosts_the_request_already_failed_on() -> None:
    spec = replace(SPEC, ignore_hosts=frozenset({"node-1"}))
    assert not RetryFilter(RATIOS).host_passes(HOST, spec)
    assert RetryFilter(RATIOS).host_passes(replace(HOST, name="node-2"), spec)


def test_core_filter_applies_the_cpu_allocation_ratio() -> None:
    # 4 vCPUs x 2.0 = 8 schedulable; 6 used leaves exactly 2.
    assert CoreFilter(RATIOS).host_passes(replace(HOST, vcpus_used=6), SPEC)
    assert not CoreFilter(RATIOS).host_passes(replace(HOST, vcpus_used=7), SPEC)


def test_ram_filter_needs_the_whole_request_free() -> None:
    assert RamFilter(RATIOS).host_passes(replace(HOST, memory_mb_used=6144), SPEC)
    assert not RamFilter(RATIOS).host_passes(replace(HOST, memory_mb_used=6145), SPEC)


def test_disk_filter_needs_the_whole_request_free() -> None:
    assert DiskFilter(RATIOS).host_passes(replace(HOST, local_gb_used=80), SPEC)
    assert not DiskFilter(RATIOS).host_passes(replace(HOST, local_gb_used=81), SPEC)


def test_unknown_filter_name_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"unknown scheduler filter.*FooFilter"):
        filters.build(["RamFilter", "FooFilter"], RATIOS)


def table_of(hosts: list[HostState]) -> HostTable:
    table = HostTable()
    for host in hosts:
        table.upsert(host)
    return table


def filter_all(hosts: list[HostState], spec: RequestSpec):  # type: ignore[no-untyped-def]
    table = table_of(hosts)
    names = ["ComputeFilter", "RetryFilter", "RamFilter", "CoreFilter", "DiskFilter"]
    rows, results = run_filters(filters.build(names, RATIOS), table, np.arange(len(table)), spec)
    return [table.names[r] for r in rows], results


def test_filters_report_how_many_hosts_each_removed_and_why() -> None:
    hosts = [
        replace(HOST, name="down", up=False),
        replace(HOST, name="full", memory_mb_used=8000),
        replace(HOST, name="ok"),
    ]
    left, results = filter_all(hosts, SPEC)
    assert left == ["ok"]
    removed = {r.filter: r.hosts_removed for r in results}
    assert removed["ComputeFilter"] == 1
    assert removed["RamFilter"] == 1


def test_no_valid_host_message_names_each_filter_that_removed_hosts() -> None:
    hosts = [replace(HOST, name=f"n{i}", memory_mb_used=8000) for i in range(3)]
    _, results = filter_all(hosts, SPEC)
    message = explain_no_valid_host(len(hosts), results)
    assert "RamFilter: 3 of 3 hosts have less than 2048 MB free" in message


def test_no_hosts_at_all_is_said_plainly() -> None:
    assert "no compute hosts" in explain_no_valid_host(0, [])


def test_positive_ram_multiplier_spreads_to_the_emptiest_host() -> None:
    hosts = [replace(HOST, name="busy", memory_mb_used=6000), replace(HOST, name="empty")]
    ranked = weigh([RAMWeigher(1.0)], hosts, SPEC)
    assert [h.name for _, h in ranked] == ["empty", "busy"]
    # Normalised from 0 free (Nova's minval), not from the least free candidate.
    assert ranked[0][0] == 1.0 and ranked[1][0] == (8192 - 6000) / 8192


def test_negative_ram_multiplier_stacks_onto_the_fullest_host() -> None:
    hosts = [replace(HOST, name="busy", memory_mb_used=6000), replace(HOST, name="empty")]
    ranked = weigh([RAMWeigher(-1.0)], hosts, SPEC)
    assert [h.name for _, h in ranked] == ["busy", "empty"]

"""Host facts as the filters read them: one spelling, Nova's names, Nova's scoping rules.

Nova's ComputeCapabilitiesFilter (nova/scheduler/filters/compute_capabilities_filter.py)
checks a `capabilities:` key against the host, skips a key of any other scope, and checks
an unscoped key only when the host has that attribute or stat. JsonFilter
(json_filter.py) reads `$name` as the HostState attribute `name`; unknown names and empty
strings drop out of the argument list.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.base import BaseFilter
from services.scheduler.filters.compute_capabilities_filter import ComputeCapabilitiesFilter
from services.scheduler.filters.json_filter import MAX_DEPTH, JsonFilter
from services.scheduler.host_state import Defaults, HostState, HostTable, build_state
from services.scheduler.request_spec import RequestSpec
from stratus.v1 import scheduler_pb2
from stratus.v1 import types_pb2 as t

CONFIG = SchedulerConfig()
# What the test driver's agent reports: libvirt's getType() is "TEST", and the free-form
# capabilities it sends spell the hypervisor type in lower case.
REPORT = t.Host(
    name="node-1",
    hypervisor_type="TEST",
    hypervisor_version=9000000,
    host_ip="10.0.0.5",
    vcpus=16,
    memory_mb=16384,
    local_gb=100,
    enabled=True,
    capabilities={
        "hypervisor_type": "test",
        "hypervisor_version": "9000000",
        "cpu_info:arch": "x86_64",
        "vcpus": "16",
        "memory_mb": "16384",
    },
)
USAGE = t.HostUsage(host="node-1", vcpus_used=3, memory_mb_used=4096, local_gb_used=40, instances=2)
HOST = build_state("node-1", REPORT, True, USAGE, [], Defaults(), 0.0)
SPEC = RequestSpec(instance_id="i", vcpus=1, memory_mb=512, disk_gb=1)


def both_forms(host_filter: BaseFilter, host: HostState, spec: RequestSpec) -> bool:
    table = HostTable()
    table.upsert(host)
    one = host_filter.host_passes(host, spec)
    assert host_filter.passes(table, np.arange(1), spec).tolist() == [one]
    return one


def capabilities_pass(extra_specs: dict[str, str], host: HostState = HOST) -> bool:
    return both_forms(
        ComputeCapabilitiesFilter(CONFIG), host, replace(SPEC, extra_specs=extra_specs)
    )


@pytest.mark.parametrize(
    "extra_specs",
    [
        # Not for this filter: unscoped keys the host has no fact for, and other scopes.
        {"ssd": "true"},
        {"aggregate_instance_extra_specs:ssd": "true"},
        {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "large"},
        {"quota:cpu_shares": "9", "resources:VGPU": "1", "trait:HW_CPU_X86_AVX": "required"},
        {"cpu_info:arch": "aarch64"},  # a colon makes "cpu_info" its scope: not ours
        # The host's facts, as it reports them.
        {"capabilities:hypervisor_type": "TEST"},
        {"hypervisor_type": "TEST"},  # unscoped and a fact of the host: checked, and true
        {"capabilities:hypervisor_type": "s== TEST"},
        {"capabilities:hypervisor_version": ">= 9000000"},
        {"capabilities:cpu_info:arch": "x86_64"},
        {"capabilities:vcpus_total": "= 16"},
        {"capabilities:total_usable_ram_mb": "16384"},
        {"capabilities:free_ram_mb": ">= 12288"},  # 16384 - 4096, read per host
        {"capabilities:host": "node-1"},
        {"num_instances": "<= 2"},
    ],
)
def test_capabilities_filter_passes(extra_specs: dict[str, str]) -> None:
    assert capabilities_pass(extra_specs)


@pytest.mark.parametrize(
    "extra_specs",
    [
        {"capabilities:hypervisor_type": "test"},  # not the spelling the host reports
        {"capabilities:hypervisor_type": "s== test"},
        {"hypervisor_type": "QEMU"},  # unscoped, a fact of the host, and false
        {"capabilities:hypervisor_version": ">= 9000001"},
        {"capabilities:cpu_info:arch": "aarch64"},
        {"capabilities:vcpus_total": "= 17"},
        {"capabilities:free_ram_mb": ">= 12289"},
        {"capabilities:gpu": "true"},  # scoped, and the host reports no such thing
        {"ssd": "true", "capabilities:hypervisor_type": "QEMU"},
        {"num_instances": "<= 1"},
    ],
)
def test_capabilities_filter_fails(extra_specs: dict[str, str]) -> None:
    assert not capabilities_pass(extra_specs)


def test_capabilities_filter_checks_an_unscoped_key_the_host_reports() -> None:
    # Nova: an unscoped key is checked when it is one of the host's stats.
    host = replace(HOST, capabilities={**HOST.capabilities, "ssd": "true"})
    assert capabilities_pass({"ssd": "true"}, host)
    assert not capabilities_pass({"ssd": "false"}, host)
    assert capabilities_pass({"ssd": "false"})  # a host without it ignores the key


def test_host_facts_have_one_spelling_everywhere() -> None:
    assert HOST.hypervisor_type == "TEST"
    assert HOST.capabilities["hypervisor_type"] == "TEST"
    assert HOST.capabilities["vcpus_total"] == "16"
    json_filter = JsonFilter(CONFIG)
    for query in (
        ["=", "$hypervisor_type", "TEST"],
        ["=", "$capabilities.hypervisor_type", "TEST"],
    ):
        assert json_filter.host_passes(HOST, replace(SPEC, query=query))


def test_the_scheduler_reads_the_reported_spelling_end_to_end() -> None:
    # A flavor asking for the hypervisor os-hypervisors shows, through the request.
    request = scheduler_pb2.SelectDestinationRequest(
        instance_id="i",
        flavor=t.Flavor(vcpus=1, ram_mb=512, extra_specs={"capabilities:hypervisor_type": "TEST"}),
    )
    assert both_forms(ComputeCapabilitiesFilter(CONFIG), HOST, RequestSpec.from_request(request))


@pytest.mark.parametrize(
    ("query", "passes"),
    [
        # Nova's HostState names (host_manager.py), with this host's numbers.
        (["=", "$free_ram_mb", 12288], True),
        (["=", "$free_ram_mb", 12287], False),
        (["=", "$free_disk_mb", 60 * 1024], True),
        (["=", "$disk_mb_used", 40 * 1024], True),
        (["=", "$vcpus_total", 16], True),
        (["=", "$vcpus_used", 3], True),
        (["=", "$num_instances", 2], True),
        (["=", "$num_instances", 3], False),
        (["=", "$hypervisor_version", 9000000], True),
        ([">", "$hypervisor_version", 9000000], False),
        (["=", "$total_usable_ram_mb", 16384], True),
        (["=", "$total_usable_disk_gb", 100], True),
        (["=", "$hypervisor_type", "TEST"], True),
        (["=", "$hypervisor_type", "test"], False),
        (["=", "$host", "node-1"], True),
        (["=", "$nodename", "node-1"], True),
        (["=", "$hypervisor_hostname", "node-1"], True),
        (["=", "$host_ip", "10.0.0.5"], True),
        (["=", "$cpu_allocation_ratio", 16.0], True),
        (["=", "$failed_builds", 0], True),
        # What Stratus accepted before, still accepted.
        (["=", "$memory_mb", 16384], True),
        (["=", "$availability_zone", "nova"], True),
        (["=", "$capabilities.cpu_info:arch", "x86_64"], True),
        # An empty string drops out as an unknown name does (Nova): too few arguments.
        (["=", "$host", ""], False),
        (["in", "", "", "x"], False),
        (["=", "", ""], False),
    ],
)
def test_json_filter_reads_nova_host_state_names(query: list[Any], passes: bool) -> None:
    assert both_forms(JsonFilter(CONFIG), HOST, replace(SPEC, query=query)) is passes


def nested(depth: int) -> list[Any]:
    query: list[Any] = [">=", "$free_ram_mb", 0]
    for _ in range(depth - 1):
        query = ["and", query]
    return query


def test_json_filter_reads_a_query_nested_to_the_bound() -> None:
    assert both_forms(JsonFilter(CONFIG), HOST, replace(SPEC, query=nested(MAX_DEPTH)))


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_json_filter_refuses_a_query_nested_too_deep_without_recursing(depth: int) -> None:
    spec = replace(SPEC, query=nested(depth))
    f = JsonFilter(CONFIG)
    assert not both_forms(f, HOST, spec)
    assert f.reason(spec) == (
        "were refused because the query hint is malformed: "
        f"it is nested deeper than {MAX_DEPTH} levels"
    )


def test_a_query_too_deep_to_parse_is_a_value_error_not_a_crash() -> None:
    text = "[" * 100_000 + "]" * 100_000
    request = scheduler_pb2.SelectDestinationRequest(
        instance_id="i", hints=t.SchedulerHints(query=text)
    )
    with pytest.raises(ValueError, match="nested too deeply"):
        RequestSpec.from_request(request)

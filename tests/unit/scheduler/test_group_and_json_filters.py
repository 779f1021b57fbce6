"""Server group filters, and the JSON query hint."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from services.scheduler.filters.json_filter import JsonFilter
from services.scheduler.filters.server_group_affinity_filter import ServerGroupAffinityFilter
from services.scheduler.filters.server_group_anti_affinity_filter import (
    ServerGroupAntiAffinityFilter,
)
from services.scheduler.host_state import HostTable
from tests.unit.scheduler.cases import CONFIG, HOST, SPEC

AFFINITY = replace(SPEC, group_policy="affinity", group_hosts={"node-2": 1})
ANTI = replace(SPEC, group_policy="anti-affinity", group_hosts={"node-1": 1})


def test_affinity_filter_lets_the_first_member_go_anywhere() -> None:
    first = replace(AFFINITY, group_hosts={})
    assert not ServerGroupAffinityFilter(CONFIG).applies(first)
    assert ServerGroupAffinityFilter(CONFIG).host_passes(HOST, first)


def test_affinity_filter_passes_a_host_running_a_member() -> None:
    assert ServerGroupAffinityFilter(CONFIG).host_passes(replace(HOST, name="node-2"), AFFINITY)


def test_affinity_filter_fails_a_host_running_no_member() -> None:
    assert not ServerGroupAffinityFilter(CONFIG).host_passes(HOST, AFFINITY)


def test_affinity_filter_ignores_other_policies() -> None:
    spec = replace(AFFINITY, group_policy="soft-affinity")
    assert not ServerGroupAffinityFilter(CONFIG).applies(spec)
    assert ServerGroupAffinityFilter(CONFIG).host_passes(HOST, spec)


def test_anti_affinity_filter_fails_a_host_running_a_member() -> None:
    f = ServerGroupAntiAffinityFilter(CONFIG)
    assert not f.host_passes(HOST, ANTI)
    assert f.reason(ANTI) == "already run 1 member(s) of the request's anti-affinity server group"


def test_anti_affinity_filter_passes_a_host_running_no_member() -> None:
    assert ServerGroupAntiAffinityFilter(CONFIG).host_passes(replace(HOST, name="node-2"), ANTI)


def test_anti_affinity_filter_allows_max_server_per_host_members() -> None:
    spec = replace(ANTI, group_rules={"max_server_per_host": "2"})
    f = ServerGroupAntiAffinityFilter(CONFIG)
    assert f.host_passes(HOST, spec)
    assert not f.host_passes(HOST, replace(spec, group_hosts={"node-1": 2}))


def test_anti_affinity_filter_reads_a_bad_rule_as_one() -> None:
    spec = replace(ANTI, group_rules={"max_server_per_host": "many"})
    assert not ServerGroupAntiAffinityFilter(CONFIG).host_passes(HOST, spec)


def test_anti_affinity_filter_ignores_other_policies() -> None:
    spec = replace(ANTI, group_policy="soft-anti-affinity")
    assert not ServerGroupAntiAffinityFilter(CONFIG).applies(spec)
    assert ServerGroupAntiAffinityFilter(CONFIG).host_passes(HOST, spec)


USED = replace(HOST, memory_mb_used=4096, local_gb_used=50, vcpus_used=3, instances=2)


@pytest.mark.parametrize(
    ("query", "passes"),
    [
        ([">=", "$free_ram_mb", 12288], True),  # 16384 - 4096
        ([">=", "$free_ram_mb", 12289], False),
        (["=", "$host", "node-1"], True),
        (["=", "$host", "node-2"], False),
        (["<", "$vcpus_used", 4], True),
        (["<=", "$num_instances", 1], False),
        ([">", "$free_disk_mb", 150 * 1024 - 1], True),
        (["in", "$hypervisor_type", "qemu", "kvm"], True),
        (["in", "$hypervisor_type", "qemu", "xen"], False),
        (["=", "$capabilities.cpu_info:arch", "x86_64"], True),
        (["and", [">=", "$vcpus_total", 8], ["=", "$total_usable_ram_mb", 16384]], True),
        (["and", [">=", "$vcpus_total", 8], ["=", "$total_usable_ram_mb", 1]], False),
        (["or", [">=", "$vcpus_total", 64], ["=", "$host_ip", "10.0.0.5"]], True),
        (["not", ["=", "$host", "node-1"]], False),
        (["not", ["=", "$host", "node-2"]], True),
        (["=", "$no_such_thing", 1], False),  # unknown variables drop out: too few arguments
        (["<", "$host", 5], False),  # a string against a number: no match
        ([], True),
    ],
)
def test_json_filter(query: list[Any], passes: bool) -> None:
    spec = replace(SPEC, query=query)
    assert JsonFilter(CONFIG).host_passes(USED, spec) is passes


def test_json_filter_steps_aside_without_a_query() -> None:
    assert not JsonFilter(CONFIG).applies(SPEC)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"op": "="}, "it is not a list"),
        (["~", "$host", "x"], "unknown operator '~'"),
        (["and", ["like", "$host", "x"]], "unknown operator 'like'"),
    ],
)
def test_json_filter_passes_nothing_for_a_malformed_query_and_says_why(
    query: Any, problem: str
) -> None:
    spec = replace(SPEC, query=query)
    f = JsonFilter(CONFIG)
    assert not f.host_passes(HOST, spec)
    table = HostTable()
    table.upsert(HOST)
    assert not f.passes(table, np.arange(1), spec).any()
    assert f.reason(spec) == f"were refused because the query hint is malformed: {problem}"

"""The pure rules behind groups and zones: policies, rules and which zone a host is in."""

from __future__ import annotations

import pytest

from services.api.aggregates import host_zone, zones_by_host, zones_of_hosts
from services.api.server_groups import check_policy
from services.runtime.errors import InvalidArgument
from stratus.v1 import types_pb2 as t


@pytest.mark.parametrize("policy", ["affinity", "anti-affinity", "soft-affinity"])
def test_known_policies_pass(policy: str) -> None:
    check_policy(policy, {})


def test_max_server_per_host_goes_with_anti_affinity() -> None:
    check_policy("anti-affinity", {"max_server_per_host": "2"})


@pytest.mark.parametrize(
    ("policy", "rules"),
    [
        ("spread", {}),
        ("affinity", {"max_server_per_host": "2"}),
        ("anti-affinity", {"max_server_per_host": "0"}),
        ("anti-affinity", {"max_server_per_host": "-1"}),
        ("anti-affinity", {"max_server_per_host": "x"}),
        ("anti-affinity", {"other": "1"}),
    ],
)
def test_bad_policies_and_rules_fail(policy: str, rules: dict[str, str]) -> None:
    with pytest.raises(InvalidArgument):
        check_policy(policy, rules)


AGGREGATES = [
    t.Aggregate(id="a", availability_zone="az1", hosts=["h1", "h2"]),
    t.Aggregate(id="b", hosts=["h2", "h3"]),  # no zone: gives none
]


def test_a_host_is_in_its_aggregates_zone_else_nova() -> None:
    assert host_zone("h1", AGGREGATES) == "az1"
    assert host_zone("h3", AGGREGATES) == "nova"
    assert host_zone("h9", AGGREGATES) == "nova"


def test_zones_group_the_known_hosts() -> None:
    assert zones_by_host(["h3", "h1", "h2"], AGGREGATES) == {
        "az1": ["h1", "h2"],
        "nova": ["h3"],
    }
    assert zones_by_host([], AGGREGATES) == {}


def test_zones_of_hosts_see_a_clash() -> None:
    clash = [*AGGREGATES, t.Aggregate(id="c", availability_zone="az2", hosts=["h1"])]
    assert zones_of_hosts(clash)["h1"] == {"az1", "az2"}

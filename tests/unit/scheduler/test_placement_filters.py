"""Filters on where a request may go: zone, instance count, hints, isolation, networks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.scheduler.filters.all_hosts_filter import AllHostsFilter
from services.scheduler.filters.availability_zone_filter import AvailabilityZoneFilter
from services.scheduler.filters.different_host_filter import DifferentHostFilter
from services.scheduler.filters.isolated_hosts_filter import IsolatedHostsFilter
from services.scheduler.filters.num_instances_filter import NumInstancesFilter
from services.scheduler.filters.same_host_filter import SameHostFilter
from services.scheduler.filters.simple_cidr_affinity_filter import SimpleCIDRAffinityFilter
from tests.unit.scheduler.cases import CONFIG, HOST, SPEC


def test_all_hosts_filter_passes_any_host_and_never_runs() -> None:
    f = AllHostsFilter(CONFIG)
    assert f.host_passes(replace(HOST, up=False), SPEC)
    assert not f.applies(SPEC)


def test_availability_zone_filter_passes_every_host_when_no_zone_is_asked() -> None:
    f = AvailabilityZoneFilter(CONFIG)
    assert not f.applies(SPEC)
    assert f.host_passes(replace(HOST, availability_zone="az1"), SPEC)


def test_availability_zone_filter_passes_a_host_in_the_asked_zone() -> None:
    spec = replace(SPEC, availability_zone="az1")
    assert AvailabilityZoneFilter(CONFIG).host_passes(replace(HOST, availability_zone="az1"), spec)


def test_availability_zone_filter_fails_a_host_in_another_zone() -> None:
    spec = replace(SPEC, availability_zone="az1")
    f = AvailabilityZoneFilter(CONFIG)
    assert not f.host_passes(replace(HOST, availability_zone="az2"), spec)
    assert not f.host_passes(HOST, spec)  # the default zone "nova" is a zone like any other
    assert f.reason(spec) == "are not in availability zone 'az1'"


def test_num_instances_filter_passes_below_the_configured_maximum() -> None:
    config = replace(CONFIG, max_instances_per_host=10)
    assert NumInstancesFilter(config).host_passes(replace(HOST, instances=9), SPEC)


def test_num_instances_filter_fails_at_the_configured_maximum() -> None:
    config = replace(CONFIG, max_instances_per_host=10)
    assert not NumInstancesFilter(config).host_passes(replace(HOST, instances=10), SPEC)


def test_num_instances_filter_takes_the_lowest_of_the_aggregates() -> None:
    config = replace(CONFIG, max_instances_per_host=10)
    host = replace(
        HOST, instances=5, aggregate_metadata={"max_instances_per_host": frozenset({"5", "8"})}
    )
    assert not NumInstancesFilter(config).host_passes(host, SPEC)
    assert NumInstancesFilter(config).host_passes(replace(host, instances=4), SPEC)


def test_num_instances_filter_reads_an_unreadable_aggregate_limit_as_the_configured_one() -> None:
    config = replace(CONFIG, max_instances_per_host=10)
    host = replace(
        HOST,
        instances=10,
        aggregate_metadata={"max_instances_per_host": frozenset({"50", "lots"})},
    )
    assert not NumInstancesFilter(config).host_passes(host, SPEC)


def test_same_host_filter_steps_aside_without_the_hint() -> None:
    assert not SameHostFilter(CONFIG).applies(SPEC)


def test_same_host_filter_passes_a_host_running_a_named_instance() -> None:
    spec = replace(SPEC, same_host_hosts=frozenset({"node-1"}))
    assert SameHostFilter(CONFIG).host_passes(HOST, spec)


def test_same_host_filter_fails_other_hosts_even_when_the_instances_run_nowhere() -> None:
    f = SameHostFilter(CONFIG)
    assert not f.host_passes(HOST, replace(SPEC, same_host_hosts=frozenset({"node-2"})))
    assert not f.host_passes(HOST, replace(SPEC, same_host_hosts=frozenset()))


def test_different_host_filter_steps_aside_without_the_hint() -> None:
    assert not DifferentHostFilter(CONFIG).applies(SPEC)


def test_different_host_filter_fails_a_host_running_a_named_instance() -> None:
    spec = replace(SPEC, different_host_hosts=frozenset({"node-1"}))
    assert not DifferentHostFilter(CONFIG).host_passes(HOST, spec)


def test_different_host_filter_passes_other_hosts() -> None:
    spec = replace(SPEC, different_host_hosts=frozenset({"node-2"}))
    assert DifferentHostFilter(CONFIG).host_passes(HOST, spec)


ISOLATED = replace(CONFIG, isolated_hosts="node-1, node-2", isolated_images="img-secure")


def test_isolated_hosts_filter_steps_aside_when_nothing_is_isolated() -> None:
    assert not IsolatedHostsFilter(CONFIG).applies(SPEC)
    assert IsolatedHostsFilter(ISOLATED).applies(SPEC)


@pytest.mark.parametrize(
    ("restrict", "image", "host", "passes"),
    [
        (True, "img-secure", "node-1", True),  # isolated image on isolated host
        (True, "img-secure", "node-9", False),  # isolated image elsewhere
        (True, "img-plain", "node-1", False),  # other image on an isolated host
        (True, "img-plain", "node-9", True),
        (False, "img-secure", "node-1", True),
        (False, "img-secure", "node-9", False),  # isolated images still stay isolated
        (False, "img-plain", "node-1", True),  # unrestricted: isolated hosts take anything
        (False, "img-plain", "node-9", True),
    ],
)
def test_isolated_hosts_filter(restrict: bool, image: str, host: str, passes: bool) -> None:
    config = replace(ISOLATED, restrict_isolated_hosts_to_isolated_images=restrict)
    spec = replace(SPEC, image_id=image)
    assert IsolatedHostsFilter(config).host_passes(replace(HOST, name=host), spec) is passes


def test_isolated_hosts_without_isolated_images_take_nothing_when_restricted() -> None:
    config = replace(CONFIG, isolated_hosts="node-1")
    assert not IsolatedHostsFilter(config).host_passes(HOST, SPEC)
    assert IsolatedHostsFilter(config).host_passes(replace(HOST, name="node-9"), SPEC)
    unrestricted = replace(config, restrict_isolated_hosts_to_isolated_images=False)
    assert IsolatedHostsFilter(unrestricted).host_passes(HOST, SPEC)


def test_cidr_filter_steps_aside_without_build_near_host_ip() -> None:
    assert not SimpleCIDRAffinityFilter(CONFIG).applies(SPEC)


def test_cidr_filter_passes_a_host_in_the_network() -> None:
    spec = replace(SPEC, build_near_host_ip="10.0.0.1", cidr="/24")
    assert SimpleCIDRAffinityFilter(CONFIG).host_passes(HOST, spec)


def test_cidr_filter_fails_a_host_outside_the_network() -> None:
    spec = replace(SPEC, build_near_host_ip="10.0.1.1", cidr="/24")
    f = SimpleCIDRAffinityFilter(CONFIG)
    assert not f.host_passes(HOST, spec)
    assert f.reason(spec) == "have no IP in 10.0.1.1/24"


def test_cidr_filter_defaults_to_a_slash_24() -> None:
    f = SimpleCIDRAffinityFilter(CONFIG)
    assert f.host_passes(HOST, replace(SPEC, build_near_host_ip="10.0.0.200"))
    assert not f.host_passes(HOST, replace(SPEC, build_near_host_ip="10.0.1.200"))


def test_cidr_filter_fails_everything_for_a_malformed_hint_and_says_so() -> None:
    spec = replace(SPEC, build_near_host_ip="10.0.0.1", cidr="/99")
    f = SimpleCIDRAffinityFilter(CONFIG)
    assert not f.host_passes(HOST, spec)
    assert "not a valid network" in f.reason(spec)


def test_cidr_filter_fails_a_host_without_an_ip() -> None:
    spec = replace(SPEC, build_near_host_ip="10.0.0.1")
    assert not SimpleCIDRAffinityFilter(CONFIG).host_passes(replace(HOST, host_ip=""), spec)

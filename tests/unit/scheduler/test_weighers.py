"""Each weigher's raw number, and what the sign of its multiplier does to the ranking."""

from __future__ import annotations

from dataclasses import replace

from services.scheduler import weighers
from services.scheduler.config import SchedulerConfig
from services.scheduler.host_state import HostState
from services.scheduler.weighers import weigh
from services.scheduler.weighers.base import BaseWeigher
from services.scheduler.weighers.build_failure_weigher import BuildFailureWeigher
from services.scheduler.weighers.cpu_weigher import CPUWeigher
from services.scheduler.weighers.disk_weigher import DiskWeigher
from services.scheduler.weighers.noop_weigher import NoOpWeigher
from services.scheduler.weighers.num_instances_weigher import NumInstancesWeigher
from services.scheduler.weighers.server_group_soft_affinity_weigher import (
    ServerGroupSoftAffinityWeigher,
)
from services.scheduler.weighers.server_group_soft_anti_affinity_weigher import (
    ServerGroupSoftAntiAffinityWeigher,
)
from tests.unit.scheduler.cases import HOST, SPEC

A = replace(HOST, name="a")
B = replace(HOST, name="b")


def order(weigher: BaseWeigher, hosts: list[HostState], spec=SPEC) -> list[str]:  # type: ignore[no-untyped-def]
    return [host.name for _, host in weigh([weigher], hosts, spec)]


def test_cpu_weigher_weighs_free_vcpus_under_the_ratio() -> None:
    assert CPUWeigher(1.0).weigh(replace(A, vcpus_used=10), SPEC) == 8 * 16.0 - 10


def test_cpu_weigher_positive_spreads_negative_stacks() -> None:
    hosts = [replace(A, vcpus_used=10), B]
    assert order(CPUWeigher(1.0), hosts) == ["b", "a"]
    assert order(CPUWeigher(-1.0), hosts) == ["a", "b"]


def test_disk_weigher_weighs_free_disk() -> None:
    assert DiskWeigher(1.0).weigh(replace(A, local_gb_used=50), SPEC) == 150.0


def test_disk_weigher_positive_spreads_negative_stacks() -> None:
    hosts = [replace(A, local_gb_used=50), B]
    assert order(DiskWeigher(1.0), hosts) == ["b", "a"]
    assert order(DiskWeigher(-1.0), hosts) == ["a", "b"]


def test_num_instances_weigher_positive_packs_negative_spreads() -> None:
    hosts = [replace(A, instances=1), replace(B, instances=5)]
    assert NumInstancesWeigher(1.0).weigh(hosts[1], SPEC) == 5.0
    assert order(NumInstancesWeigher(1.0), hosts) == ["b", "a"]
    assert order(NumInstancesWeigher(-1.0), hosts) == ["a", "b"]


def test_num_instances_weigher_is_off_by_default() -> None:
    built = weighers.build(["NumInstancesWeigher"], SchedulerConfig())
    assert not built[0].applies(SPEC)


def test_build_failure_weigher_sinks_hosts_that_failed_builds() -> None:
    hosts = [replace(A, recent_build_failures=2), B]
    assert BuildFailureWeigher(1.0).weigh(hosts[0], SPEC) == -2.0
    assert order(BuildFailureWeigher(1_000_000.0), hosts) == ["b", "a"]


def test_build_failure_outweighs_everything_else_by_default() -> None:
    config = SchedulerConfig()
    default = weighers.build(config.weighers.split(","), config)
    failing_but_empty = replace(A, recent_build_failures=1)
    busy = replace(B, memory_mb_used=16000, vcpus_used=100, local_gb_used=190)
    ranked = weigh(default, [failing_but_empty, busy], SPEC)
    assert [h.name for _, h in ranked] == ["b", "a"]


GROUPED = replace(SPEC, group_hosts={"a": 2})


def test_soft_affinity_weigher_prefers_hosts_with_members() -> None:
    spec = replace(GROUPED, group_policy="soft-affinity")
    w = ServerGroupSoftAffinityWeigher(1.0)
    assert w.applies(spec) and w.weigh(A, spec) == 2.0 and w.weigh(B, spec) == 0.0
    assert order(w, [B, A], spec) == ["a", "b"]


def test_soft_affinity_weigher_ignores_other_policies() -> None:
    assert not ServerGroupSoftAffinityWeigher(1.0).applies(GROUPED)


def test_soft_anti_affinity_weigher_prefers_hosts_without_members() -> None:
    spec = replace(GROUPED, group_policy="soft-anti-affinity")
    w = ServerGroupSoftAntiAffinityWeigher(1.0)
    assert w.applies(spec) and w.weigh(A, spec) == -2.0
    assert order(w, [A, B], spec) == ["b", "a"]


def test_soft_anti_affinity_weigher_ignores_other_policies() -> None:
    spec = replace(GROUPED, group_policy="anti-affinity")
    assert not ServerGroupSoftAntiAffinityWeigher(1.0).applies(spec)


def test_noop_weigher_weighs_everything_zero_and_keeps_the_order() -> None:
    w = NoOpWeigher(1.0)
    assert w.weigh(A, SPEC) == 0.0
    assert order(w, [replace(A, memory_mb_used=9999), B], SPEC) == ["a", "b"]


def test_default_weighers_are_every_weigher_but_the_noop() -> None:
    names = SchedulerConfig().weighers.split(",")
    assert sorted(names) == sorted(set(weighers.REGISTRY) - {"NoOpWeigher"})

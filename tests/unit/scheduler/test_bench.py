"""The scheduler benchmark's simulation: it places requests and reports what it measured."""

from __future__ import annotations

from collections import Counter

from services.scheduler import bench


def test_simulated_cloud_is_varied() -> None:
    hosts = bench.simulated_hosts(500, seed=1)
    assert {h.vcpus for h in hosts} == {16, 32, 64}
    assert len({h.memory_mb for h in hosts}) == 4
    assert len({h.availability_zone for h in hosts}) == 4  # three zones and the default
    assert any("filter_tenant_id" in h.aggregate_metadata for h in hosts)
    assert any(h.vcpus_used for h in hosts)


def test_simulated_requests_mix_zones_groups_and_specs() -> None:
    requests = bench.simulated_requests(500, seed=1)
    assert any(r.spec.availability_zone for r in requests)
    assert any(r.spec.extra_specs for r in requests)
    assert Counter(r.spec.group_policy for r in requests if r.group >= 0).keys() == set(
        bench.GROUP_POLICIES
    )


def test_decision_run_places_requests_and_consumes_them() -> None:
    report = bench.run_decisions(300, 100, seed=2)
    assert report.placed + report.no_valid_host == 100
    assert report.placed > 80
    assert report.p50_ms <= report.p99_ms <= report.max_ms


def test_growth_compares_cost_per_decision_with_host_count() -> None:
    small = bench.DecisionReport(1000, 10, 10, 0, 1000.0, 1.0, 1.0, 1.0, 100.0, 900.0)
    large = bench.DecisionReport(10000, 10, 10, 0, 200.0, 5.0, 5.0, 5.0, 500.0, 190.0)
    assert bench.growth([small, large])[1]["cost_ratio_per_host_ratio"] == 0.5

"""Every filter's `passes` over a table agrees with its `host_passes` host by host.

The same for every weigher's `weights` and `weigh`. Tables and requests are random but
seeded, varied in every fact some filter reads, so each filter both passes and fails
hosts; rows are sometimes a subset and the table has lost hosts (rows renumbered).
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from services.scheduler import filters, weighers
from services.scheduler.config import SchedulerConfig
from services.scheduler.host_state import DEFAULT_ZONE, HostState, HostTable
from services.scheduler.request_spec import RequestSpec

ZONES = (DEFAULT_ZONE, "az1", "az2")
PROJECTS = ("p1", "p2", "p3")
SUPPORTED = (
    frozenset(),
    frozenset({"x86_64/kvm/hvm"}),
    frozenset({"x86_64/qemu/hvm", "aarch64/qemu/hvm"}),
    frozenset({"i686/xen/xen"}),
    frozenset({"x86_64/kvm/"}),
)
CONFIGS = (
    SchedulerConfig(max_instances_per_host=8),
    SchedulerConfig(isolated_hosts="h1,h3,h5,h7", isolated_images="img-iso"),
    SchedulerConfig(
        isolated_hosts="h2,h4",
        isolated_images="img-iso",
        restrict_isolated_hosts_to_isolated_images=False,
    ),
    SchedulerConfig(isolated_hosts="h2,h4"),
)


def random_host(rng: random.Random, i: int) -> HostState:
    metadata: dict[str, frozenset[str]] = {}
    if rng.random() < 0.3:
        metadata["filter_tenant_id"] = frozenset({rng.choice(("p1", "p1,p2"))})
    if rng.random() < 0.2:
        metadata["filter_tenant_id_b"] = frozenset({"p3"})
    if rng.random() < 0.4:
        metadata["ssd"] = frozenset(rng.sample(["true", "false"], rng.randint(1, 2)))
    if rng.random() < 0.3:
        metadata["max_instances_per_host"] = frozenset({rng.choice(("3", "5", "x"))})
    vcpus = rng.choice((4, 8, 16))
    return HostState(
        name=f"h{i}",
        up=rng.random() > 0.1,
        enabled=rng.random() > 0.1,
        vcpus=vcpus,
        memory_mb=rng.choice((4096, 8192)),
        local_gb=rng.choice((40, 100)),
        vcpus_used=rng.randint(0, vcpus * 2),
        memory_mb_used=rng.randint(0, 8192),
        local_gb_used=rng.randint(0, 100),
        instances=rng.randint(0, 10),
        cpu_allocation_ratio=rng.choice((1.0, 2.0)),
        availability_zone=rng.choice(ZONES),
        aggregate_metadata=metadata,
        host_ip=rng.choice((f"10.0.0.{i}", f"10.0.1.{i}", "")),
        hypervisor_type=rng.choice(("kvm", "qemu")),
        supported_instances=rng.choice(SUPPORTED),
        capabilities=rng.choice(
            (
                {},
                {"hypervisor_type": "kvm", "vcpus": str(vcpus)},
                {"hypervisor_type": "qemu", "vcpus": str(vcpus), "cpu_info:arch": "x86_64"},
            )
        ),
        recent_build_failures=rng.choice((0, 0, 1, 3)),
    )


def random_spec(rng: random.Random, names: list[str]) -> RequestSpec:
    def some() -> frozenset[str]:
        return frozenset(rng.sample(names, rng.randint(0, min(3, len(names)))))

    policy = rng.choice(("", "affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"))
    return RequestSpec(
        instance_id="i",
        vcpus=rng.choice((1, 2, 8)),
        memory_mb=rng.choice((512, 2048, 8192)),
        disk_gb=rng.choice((0, 20, 80)),
        project_id=rng.choice(PROJECTS),
        extra_specs=rng.choice(
            (
                {},
                {"capabilities:hypervisor_type": "kvm"},
                {"capabilities:vcpus": ">= 8"},
                {"aggregate_instance_extra_specs:ssd": "true"},
                {"ssd": "<or> true <or> false"},
                {"hw:cpu_policy": "dedicated"},
            )
        ),
        image_id=rng.choice(("img-iso", "img-plain", "")),
        image_properties=rng.choice(
            (
                {},
                {"architecture": "x86_64"},
                {"hw_architecture": "aarch64", "img_hv_type": "qemu"},
                {"vm_mode": "hvm"},
                {"hw_vm_mode": "xen"},
            )
        ),
        availability_zone=rng.choice(("", "az1", DEFAULT_ZONE)),
        ignore_hosts=some(),
        same_host_hosts=rng.choice((None, some())),
        different_host_hosts=rng.choice((None, some())),
        build_near_host_ip=rng.choice(("", "10.0.0.1", "10.0.0.1")),
        cidr=rng.choice(("", "/24", "/16", "/99")),
        query=rng.choice(
            (
                None,
                [">=", "$free_ram_mb", 2048],
                ["and", ["=", "$hypervisor_type", "kvm"], ["<", "$num_instances", 5]],
                ["not", ["in", "$host", "h1", "h2"]],
                ["bogus", 1],
            )
        ),
        group_policy=policy,
        group_rules=rng.choice(({}, {"max_server_per_host": "2"})),
        group_hosts={name: rng.randint(1, 3) for name in some()} if policy else {},
    )


def random_table(rng: random.Random) -> HostTable:
    table = HostTable(capacity=4)  # small, so that growing is exercised
    count = rng.randint(1, 40)
    for i in range(count):
        table.upsert(random_host(rng, i))
    for _ in range(rng.randint(0, 3)):  # removals renumber rows
        table.remove(f"h{rng.randrange(count)}")
    for _ in range(rng.randint(0, 3)):  # updates change a host in place
        if len(table):
            row = rng.randrange(len(table))
            table.upsert(replace(random_host(rng, row), name=table.names[row]))
    return table


def random_rows(rng: random.Random, table: HostTable) -> np.ndarray:
    rows = np.arange(len(table), dtype=np.intp)
    if rng.random() < 0.5:
        rows = rows[np.array([rng.random() < 0.6 for _ in rows], dtype=bool)]
    return rows


SEEDS = range(60)


@pytest.mark.parametrize("name", sorted(filters.REGISTRY))
def test_filter_passes_agrees_with_host_passes(name: str) -> None:
    outcomes = set()
    for seed in SEEDS:
        rng = random.Random(seed)
        config = CONFIGS[seed % len(CONFIGS)]
        host_filter = filters.REGISTRY[name](config)
        table = random_table(rng)
        for _ in range(8):
            spec = random_spec(rng, table.names)
            rows = random_rows(rng, table)
            vectorised = host_filter.passes(table, rows, spec)
            one_by_one = [host_filter.host_passes(table.states[r], spec) for r in rows]
            assert vectorised.dtype == bool and len(vectorised) == len(rows)
            assert vectorised.tolist() == one_by_one, (seed, spec)
            if host_filter.applies(spec):
                outcomes.update(one_by_one)
    if name != "AllHostsFilter":
        assert outcomes == {True, False}, "the random cases should both pass and fail hosts"


@pytest.mark.parametrize("name", sorted(weighers.REGISTRY))
def test_weigher_weights_agree_with_weigh(name: str) -> None:
    weigher = weighers.REGISTRY[name](1.0)
    for seed in SEEDS:
        rng = random.Random(seed)
        table = random_table(rng)
        spec = random_spec(rng, table.names)
        rows = random_rows(rng, table)
        vectorised = weigher.weights(table, rows, spec)
        one_by_one = [weigher.weigh(table.states[r], spec) for r in rows]
        assert np.allclose(vectorised, one_by_one), seed


def test_table_codes_follow_hosts_through_updates_and_removals() -> None:
    rng = random.Random(7)
    table = random_table(rng)
    for column in ("availability_zone", "supported_instances", "aggregate_metadata"):
        values = table.category_values(column)
        for row, state in enumerate(table.states):
            assert values[table.codes(column)[row]] == getattr(state, column)

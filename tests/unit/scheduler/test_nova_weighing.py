"""Weights normalised as Nova normalises them (nova/weights.py).

RAMWeigher, CPUWeigher and DiskWeigher set `minval = 0`: a raw weight below 0 counts as
0, and the weights scale from 0 to the highest, so a host with half the best host's free
RAM weighs 0.5. Weighers without `minval` scale from their lowest weight. Lowest end
equal to the highest: all 0. One candidate (or none): nothing is weighed. CPUWeigher
reads each host's own allocation ratio (its aggregates', else the configured one).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from services.scheduler.host_state import Defaults, HostState, HostTable, build_state
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers import normalise, weigh, weigh_rows
from services.scheduler.weighers.base import BaseWeigher
from services.scheduler.weighers.cpu_weigher import CPUWeigher
from services.scheduler.weighers.disk_weigher import DiskWeigher
from services.scheduler.weighers.num_instances_weigher import NumInstancesWeigher
from services.scheduler.weighers.ram_weigher import RAMWeigher
from stratus.v1 import types_pb2 as t

SPEC = RequestSpec(instance_id="i", vcpus=1, memory_mb=512, disk_gb=1)
HOST = HostState(name="h", vcpus=8, memory_mb=8192, local_gb=100, cpu_allocation_ratio=1.0)


def weights(weigher: BaseWeigher, hosts: list[HostState]) -> list[float]:
    """Each host's weighed part, in the order given."""
    table = HostTable()
    for host in hosts:
        table.upsert(host)
    weighed = weigh_rows([weigher], table, np.arange(len(table)), SPEC)
    return weighed.totals.tolist()


@pytest.mark.parametrize(
    ("weigher", "changes", "expected"),
    [
        # Free 8192 and 4096 MB: 1 and 0.5 (Nova), not 1 and 0 (min-max over candidates).
        (RAMWeigher(1.0), [{}, {"memory_mb_used": 4096}], [1.0, 0.5]),
        (RAMWeigher(2.0), [{}, {"memory_mb_used": 6144}], [2.0, 0.5]),
        # Over-committed RAM weighs as none free, not below it.
        (RAMWeigher(1.0), [{}, {"memory_mb_used": 9000}], [1.0, 0.0]),
        (CPUWeigher(1.0), [{}, {"vcpus_used": 6}], [1.0, 0.25]),
        (DiskWeigher(1.0), [{"local_gb_used": 20}, {"local_gb_used": 60}], [1.0, 0.5]),
        # Every host empty alike: all at the top (scaled from 0, not from each other).
        (RAMWeigher(1.0), [{}, {}], [1.0, 1.0]),
        # Every host full: 0 to 0, all 0.
        (RAMWeigher(1.0), [{"memory_mb_used": 8192}, {"memory_mb_used": 9000}], [0.0, 0.0]),
        # A weigher without minval still scales from its lowest weight.
        (NumInstancesWeigher(1.0), [{"instances": 2}, {"instances": 4}], [0.0, 1.0]),
        (
            NumInstancesWeigher(1.0),
            [{"instances": 2}, {"instances": 3}, {"instances": 4}],
            [0.0, 0.5, 1.0],
        ),
    ],
)
def test_weights_scale_as_novas(
    weigher: BaseWeigher, changes: list[dict[str, int]], expected: list[float]
) -> None:
    hosts = [replace(HOST, name=f"h{i}", **change) for i, change in enumerate(changes)]
    assert weights(weigher, hosts) == pytest.approx(expected)


def test_a_single_candidate_is_not_weighed() -> None:
    # Nova's get_weighed_objects returns one object with weight 0.
    assert weights(RAMWeigher(1.0), [HOST]) == [0.0]
    assert weigh([RAMWeigher(1.0)], [HOST], SPEC) == [(0.0, HOST)]


def test_normalise_takes_fixed_ends_when_given() -> None:
    raw = np.array([2.0, 4.0, 8.0])
    assert normalise(raw).tolist() == pytest.approx([0.0, 1 / 3, 1.0])
    assert normalise(raw, minval=0.0).tolist() == pytest.approx([0.25, 0.5, 1.0])
    assert normalise(raw, minval=0.0, maxval=16.0).tolist() == pytest.approx([0.125, 0.25, 0.5])
    assert normalise(np.array([3.0, 3.0])).tolist() == [0.0, 0.0]


def cpu_host(name: str, ratio: str | None, vcpus_used: int) -> HostState:
    report = t.Host(name=name, vcpus=8, memory_mb=8192, local_gb=100, enabled=True)
    metadata = {"cpu_allocation_ratio": ratio} if ratio else {}
    aggregates = [t.Aggregate(id="a", hosts=[name], metadata=metadata)]
    usage = t.HostUsage(host=name, vcpus_used=vcpus_used)
    return build_state(name, report, True, usage, aggregates, Defaults(cpu_allocation_ratio=1.0), 0)


def test_cpu_weigher_uses_each_hosts_own_allocation_ratio() -> None:
    # 8 vCPUs each, 4 used: 4 free under the configured 1.0, 60 under an aggregate's 8.0.
    plain = cpu_host("plain", None, 4)
    generous = cpu_host("generous", "8.0", 4)
    assert CPUWeigher(1.0).weigh(plain, SPEC) == 4.0
    assert CPUWeigher(1.0).weigh(generous, SPEC) == 60.0
    assert weights(CPUWeigher(1.0), [plain, generous]) == pytest.approx([4 / 60, 1.0])
    assert [h.name for _, h in weigh([CPUWeigher(1.0)], [plain, generous], SPEC)] == [
        "generous",
        "plain",
    ]

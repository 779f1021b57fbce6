"""NoValidHost is counted by the filter that removed the last candidate hosts."""

from __future__ import annotations

from services.scheduler.bench import scheduler_parts, table_of
from services.scheduler.config import SchedulerConfig
from services.scheduler.host_state import HostState
from services.scheduler.manager import decide, no_valid_host_cause
from services.scheduler.request_spec import RequestSpec


def _decide(hosts: list[HostState], spec: RequestSpec):  # type: ignore[no-untyped-def]
    host_filters, host_weighers = scheduler_parts(SchedulerConfig())
    return decide(host_filters, host_weighers, table_of(hosts), spec)


def test_the_filter_that_left_no_host_is_the_cause() -> None:
    hosts = [HostState(f"node-{n}", vcpus=4, memory_mb=2048, local_gb=100) for n in range(3)]

    decision = _decide(hosts, RequestSpec("i", vcpus=1, memory_mb=1_000_000, disk_gb=1))

    assert not decision.ranked
    assert no_valid_host_cause(decision) == "RamFilter"


def test_the_liveness_filter_is_the_cause_when_every_host_is_down() -> None:
    hosts = [HostState(f"node-{n}", up=False, vcpus=4, memory_mb=2048) for n in range(2)]

    decision = _decide(hosts, RequestSpec("i", vcpus=1, memory_mb=512, disk_gb=0))

    assert no_valid_host_cause(decision) == "ComputeFilter"


def test_no_registered_host_is_its_own_cause() -> None:
    decision = _decide([], RequestSpec("i", vcpus=1, memory_mb=512, disk_gb=0))

    assert no_valid_host_cause(decision) == "no_hosts"


def test_candidates_that_filled_up_while_claiming_are_claims_lost() -> None:
    hosts = [HostState("node-0", vcpus=4, memory_mb=2048, local_gb=100)]

    decision = _decide(hosts, RequestSpec("i", vcpus=1, memory_mb=512, disk_gb=1))

    assert list(decision.ranked) == ["node-0"]
    assert no_valid_host_cause(decision) == "claims_lost"

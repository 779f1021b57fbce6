"""Host weighers and the weighing step: normalise each raw weight to [0, 1], scale, sum."""

from __future__ import annotations

from collections.abc import Sequence

from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher
from services.scheduler.weighers.ram_weigher import RAMWeigher

REGISTRY: dict[str, type[BaseWeigher]] = {cls.name: cls for cls in (RAMWeigher,)}


def weigh(
    weighers: Sequence[BaseWeigher], hosts: Sequence[HostState], spec: RequestSpec
) -> list[tuple[float, HostState]]:
    """Hosts with their total weight, best first."""
    totals = [0.0] * len(hosts)
    for weigher in weighers:
        raw = [weigher.weigh(host, spec) for host in hosts]
        low, high = min(raw, default=0.0), max(raw, default=0.0)
        span = high - low
        for i, value in enumerate(raw):
            normalised = (value - low) / span if span else 0.0
            totals[i] += weigher.multiplier * normalised
    return sorted(zip(totals, hosts, strict=True), key=lambda pair: pair[0], reverse=True)

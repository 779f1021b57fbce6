"""Host weighers and the weighing step: normalise each raw weight to [0, 1], scale, sum."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.scheduler.config import SchedulerConfig
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows


def _discover() -> dict[str, type[BaseWeigher]]:
    found: dict[str, type[BaseWeigher]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseWeigher)
                and value is not BaseWeigher
            ):
                found[value.name] = value
    return found


REGISTRY: dict[str, type[BaseWeigher]] = _discover()

# Config field holding each weigher's multiplier (weighers not listed get 1.0).
MULTIPLIER_FIELDS = {
    "RAMWeigher": "ram_weight_multiplier",
    "CPUWeigher": "cpu_weight_multiplier",
    "DiskWeigher": "disk_weight_multiplier",
    "NumInstancesWeigher": "num_instances_weight_multiplier",
    "BuildFailureWeigher": "build_failure_weight_multiplier",
    "ServerGroupSoftAffinityWeigher": "soft_affinity_weight_multiplier",
    "ServerGroupSoftAntiAffinityWeigher": "soft_anti_affinity_weight_multiplier",
}


def build(names: Sequence[str], config: SchedulerConfig) -> list[BaseWeigher]:
    unknown = [name for name in names if name not in REGISTRY]
    if unknown:
        raise ValueError(
            f"unknown scheduler weigher(s): {', '.join(unknown)}; "
            f"available: {', '.join(sorted(REGISTRY))}"
        )
    return [
        REGISTRY[name](float(getattr(config, MULTIPLIER_FIELDS.get(name, ""), 1.0)))
        for name in names
    ]


def normalise(raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Scale to [0, 1] between the lowest and highest value; all equal: all 0 (Nova's rule)."""
    if raw.size == 0:
        return raw
    low, high = float(raw.min()), float(raw.max())
    if high == low:
        return np.zeros_like(raw)
    return (raw - low) / (high - low)


@dataclass(frozen=True)
class Weighed:
    """The weighed candidates: total weight per row, and each weigher's part."""

    rows: Rows
    totals: npt.NDArray[np.float64]
    parts: dict[str, npt.NDArray[np.float64]]


def weigh_rows(
    weighers: Sequence[BaseWeigher], table: HostTable, rows: Rows, spec: RequestSpec
) -> Weighed:
    totals = np.zeros(len(rows))
    parts: dict[str, npt.NDArray[np.float64]] = {}
    for weigher in weighers:
        if not weigher.applies(spec) or len(rows) == 0:
            continue
        part = weigher.multiplier * normalise(weigher.weights(table, rows, spec))
        parts[weigher.name] = part
        totals += part
    return Weighed(rows, totals, parts)


def weigh(
    weighers: Sequence[BaseWeigher], hosts: Sequence[HostState], spec: RequestSpec
) -> list[tuple[float, HostState]]:
    """Hosts with their total weight, best first (the one-host-at-a-time definition)."""
    table = HostTable()
    for host in hosts:
        table.upsert(host)
    weighed = weigh_rows(weighers, table, np.arange(len(table)), spec)
    pairs = [
        (float(w), table.states[int(r)]) for w, r in zip(weighed.totals, weighed.rows, strict=True)
    ]
    return sorted(pairs, key=lambda pair: pair[0], reverse=True)

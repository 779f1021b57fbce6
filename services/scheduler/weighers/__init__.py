"""Host weighers and the weighing step: normalise each raw weight to [0, 1], scale, sum.

As Nova's: each weigher's raw weights are scaled over the candidates, from the weigher's
fixed lower end where it has one (RAM, CPU and disk weigh from 0, so a host with half
the free RAM of the best weighs 0.5, not 0) and from the lowest weight otherwise.
"""

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


def normalise(
    raw: npt.NDArray[np.float64], minval: float | None = None, maxval: float | None = None
) -> npt.NDArray[np.float64]:
    """Scale to [0, 1] between `minval` and `maxval` (unset: the lowest and highest value);
    all equal: all 0 (Nova's `normalize`)."""
    if raw.size == 0:
        return raw
    low = float(raw.min()) if minval is None else minval
    high = float(raw.max()) if maxval is None else maxval
    if high == low:
        return np.zeros_like(raw)
    return (raw - low) / (high - low)


def bounded(weigher: BaseWeigher, raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The raw weights held within the weigher's fixed ends (Nova's `weigh_objects`)."""
    if weigher.minval is not None:
        raw = np.maximum(raw, weigher.minval)
    if weigher.maxval is not None:
        raw = np.minimum(raw, weigher.maxval)
    return raw


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
    if len(rows) < 2:
        return Weighed(rows, totals, parts)  # one candidate or none: nothing to rank (Nova)
    for weigher in weighers:
        if not weigher.applies(spec):
            continue
        raw = bounded(weigher, weigher.weights(table, rows, spec))
        part = weigher.multiplier * normalise(raw, weigher.minval, weigher.maxval)
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

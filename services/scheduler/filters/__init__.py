"""Host filters, enabled by name in an ordered list (cheapest, most restrictive first)."""

from __future__ import annotations

from services.scheduler.filters.base import AllocationRatios, BaseFilter
from services.scheduler.filters.compute_filter import ComputeFilter
from services.scheduler.filters.core_filter import CoreFilter
from services.scheduler.filters.disk_filter import DiskFilter
from services.scheduler.filters.ram_filter import RamFilter
from services.scheduler.filters.retry_filter import RetryFilter

REGISTRY: dict[str, type[BaseFilter]] = {
    cls.name: cls for cls in (ComputeFilter, RetryFilter, RamFilter, CoreFilter, DiskFilter)
}

DEFAULT_FILTERS = ("ComputeFilter", "RetryFilter", "RamFilter", "CoreFilter", "DiskFilter")


def build(names: list[str] | tuple[str, ...], ratios: AllocationRatios) -> list[BaseFilter]:
    """Instantiate the named filters in order; an unknown name is a configuration error."""
    unknown = [name for name in names if name not in REGISTRY]
    if unknown:
        raise ValueError(
            f"unknown scheduler filter(s): {', '.join(unknown)}; "
            f"available: {', '.join(sorted(REGISTRY))}"
        )
    return [REGISTRY[name](ratios) for name in names]

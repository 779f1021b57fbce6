from __future__ import annotations

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable, fits
from services.scheduler.request_spec import RequestSpec


class RamFilter(BaseFilter):
    """Passes hosts with the request's RAM free under their ram_allocation_ratio, and at
    least that much physical RAM (Nova's RamFilter: no over-commit against itself)."""

    name = "RamFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return fits(host.memory_mb, host.ram_allocation_ratio, host.memory_mb_used, spec.memory_mb)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        return fits(
            table.column("memory_mb")[rows],
            table.column("ram_allocation_ratio")[rows],
            table.column("memory_mb_used")[rows],
            spec.memory_mb,
        )

    def reason(self, spec: RequestSpec) -> str:
        return f"have less than {spec.memory_mb} MB free, or less in all"

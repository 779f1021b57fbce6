from __future__ import annotations

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class RamFilter(BaseFilter):
    """Passes hosts with enough free RAM under their ram_allocation_ratio."""

    name = "RamFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.memory_mb * host.ram_allocation_ratio - host.memory_mb_used >= spec.memory_mb

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        limit = table.column("memory_mb")[rows] * table.column("ram_allocation_ratio")[rows]
        return limit - table.column("memory_mb_used")[rows] >= spec.memory_mb

    def reason(self, spec: RequestSpec) -> str:
        return f"have less than {spec.memory_mb} MB free"

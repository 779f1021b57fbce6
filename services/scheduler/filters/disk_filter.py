from __future__ import annotations

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class DiskFilter(BaseFilter):
    """Passes hosts with enough free disk under their disk_allocation_ratio."""

    name = "DiskFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.local_gb * host.disk_allocation_ratio - host.local_gb_used >= spec.disk_gb

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        limit = table.column("local_gb")[rows] * table.column("disk_allocation_ratio")[rows]
        return limit - table.column("local_gb_used")[rows] >= spec.disk_gb

    def reason(self, spec: RequestSpec) -> str:
        return f"have less than {spec.disk_gb} GB disk free"

from __future__ import annotations

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable, fits
from services.scheduler.request_spec import RequestSpec


class DiskFilter(BaseFilter):
    """Passes hosts with the request's disk free under their disk_allocation_ratio, and at
    least that much physical disk (Nova's DiskFilter: no over-commit against itself)."""

    name = "DiskFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return fits(host.local_gb, host.disk_allocation_ratio, host.local_gb_used, spec.disk_gb)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        return fits(
            table.column("local_gb")[rows],
            table.column("disk_allocation_ratio")[rows],
            table.column("local_gb_used")[rows],
            spec.disk_gb,
        )

    def reason(self, spec: RequestSpec) -> str:
        return f"have less than {spec.disk_gb} GB disk free, or less in all"

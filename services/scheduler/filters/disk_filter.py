from __future__ import annotations

from services.scheduler.filters.base import BaseFilter
from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec


class DiskFilter(BaseFilter):
    """Passes hosts with enough free disk under `disk_allocation_ratio`."""

    name = "DiskFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.local_gb * self.ratios.disk - host.local_gb_used >= spec.disk_gb

    def reason(self, spec: RequestSpec) -> str:
        return f"have less than {spec.disk_gb} GB disk free"

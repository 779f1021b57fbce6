from __future__ import annotations

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class CoreFilter(BaseFilter):
    """Passes hosts with enough free vCPUs under their cpu_allocation_ratio."""

    name = "CoreFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.vcpus * host.cpu_allocation_ratio - host.vcpus_used >= spec.vcpus

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        limit = table.column("vcpus")[rows] * table.column("cpu_allocation_ratio")[rows]
        return limit - table.column("vcpus_used")[rows] >= spec.vcpus

    def reason(self, spec: RequestSpec) -> str:
        return f"have fewer than {spec.vcpus} free vCPUs"

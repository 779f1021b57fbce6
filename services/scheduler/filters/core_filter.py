from __future__ import annotations

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable, fits
from services.scheduler.request_spec import RequestSpec


class CoreFilter(BaseFilter):
    """Passes hosts with the request's vCPUs free under their cpu_allocation_ratio, and at
    least that many physical vCPUs (Nova's CoreFilter: no over-commit against itself)."""

    name = "CoreFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return fits(host.vcpus, host.cpu_allocation_ratio, host.vcpus_used, spec.vcpus)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        return fits(
            table.column("vcpus")[rows],
            table.column("cpu_allocation_ratio")[rows],
            table.column("vcpus_used")[rows],
            spec.vcpus,
        )

    def reason(self, spec: RequestSpec) -> str:
        return f"have fewer than {spec.vcpus} free vCPUs, or fewer in all"

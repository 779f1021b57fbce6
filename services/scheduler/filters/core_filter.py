from __future__ import annotations

from services.scheduler.filters.base import BaseFilter
from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec


class CoreFilter(BaseFilter):
    """Passes hosts with enough free vCPUs under `cpu_allocation_ratio`."""

    name = "CoreFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.vcpus * self.ratios.cpu - host.vcpus_used >= spec.vcpus

    def reason(self, spec: RequestSpec) -> str:
        return f"have fewer than {spec.vcpus} free vCPUs"

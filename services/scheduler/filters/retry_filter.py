from __future__ import annotations

from services.scheduler.filters.base import BaseFilter
from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec


class RetryFilter(BaseFilter):
    """Passes hosts this request has not already failed on."""

    name = "RetryFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.name not in spec.ignore_hosts

    def reason(self, spec: RequestSpec) -> str:
        return "already failed this request"

from __future__ import annotations

from services.scheduler.filters.base import BaseFilter
from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec


class ComputeFilter(BaseFilter):
    """Passes hosts whose agent is connected and that are enabled."""

    name = "ComputeFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.up and host.enabled

    def reason(self, spec: RequestSpec) -> str:
        return "are down or disabled"

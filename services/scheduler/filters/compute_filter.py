from __future__ import annotations

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class ComputeFilter(BaseFilter):
    """Passes hosts whose agent is connected and that are enabled."""

    name = "ComputeFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.up and host.enabled

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        return table.up[rows] & table.enabled[rows]

    def reason(self, spec: RequestSpec) -> str:
        return "are down or disabled"

from __future__ import annotations

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class AllHostsFilter(BaseFilter):
    """Passes every host (a filter list that filters nothing)."""

    name = "AllHostsFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return False

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return True

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        return np.ones(len(rows), dtype=bool)

    def reason(self, spec: RequestSpec) -> str:
        return "were removed by a filter that removes nothing"

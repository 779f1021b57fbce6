from __future__ import annotations

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class SameHostFilter(BaseFilter):
    """Passes hosts that run one of the instances named in the same_host hint."""

    name = "SameHostFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return spec.same_host_hosts is not None

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return spec.same_host_hosts is None or host.name in spec.same_host_hosts

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        if spec.same_host_hosts is None:
            return np.ones(len(rows), dtype=bool)
        wanted = [table.index[h] for h in spec.same_host_hosts if h in table.index]
        return np.isin(rows, wanted)

    def reason(self, spec: RequestSpec) -> str:
        return "do not run any of the instances in the same_host hint"

from __future__ import annotations

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class DifferentHostFilter(BaseFilter):
    """Passes hosts that run none of the instances named in the different_host hint."""

    name = "DifferentHostFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return spec.different_host_hosts is not None

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return spec.different_host_hosts is None or host.name not in spec.different_host_hosts

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        taken = [table.index[h] for h in spec.different_host_hosts or () if h in table.index]
        return np.isin(rows, taken, invert=True)

    def reason(self, spec: RequestSpec) -> str:
        return "run an instance named in the different_host hint"

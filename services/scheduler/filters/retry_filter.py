from __future__ import annotations

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class RetryFilter(BaseFilter):
    """Passes hosts this request has not already failed on."""

    name = "RetryFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return bool(spec.ignore_hosts)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.name not in spec.ignore_hosts

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        failed = [table.index[name] for name in spec.ignore_hosts if name in table.index]
        return np.isin(rows, failed, invert=True)

    def reason(self, spec: RequestSpec) -> str:
        return "already failed this request"

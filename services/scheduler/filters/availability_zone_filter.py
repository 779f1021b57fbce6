from __future__ import annotations

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.filters.distinct import per_distinct_value
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class AvailabilityZoneFilter(BaseFilter):
    """Passes hosts in the availability zone the request asks for (none asked: all)."""

    name = "AvailabilityZoneFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return bool(spec.availability_zone)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return not spec.availability_zone or host.availability_zone == spec.availability_zone

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        wanted = spec.availability_zone
        if not wanted:
            return np.ones(len(rows), dtype=bool)
        return per_distinct_value(table, rows, "availability_zone", lambda zone: zone == wanted)

    def reason(self, spec: RequestSpec) -> str:
        return f"are not in availability zone {spec.availability_zone!r}"

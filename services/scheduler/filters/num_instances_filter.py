from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.filters.distinct import PerValue
from services.scheduler.host_state import HostState, HostTable, aggregate_number
from services.scheduler.request_spec import RequestSpec

AGGREGATE_KEY = "max_instances_per_host"


class NumInstancesFilter(BaseFilter):
    """Passes hosts running fewer instances than their aggregates' max_instances_per_host,
    or the configured one when no aggregate sets it."""

    name = "NumInstancesFilter"

    def __init__(self, config: SchedulerConfig) -> None:
        super().__init__(config)
        self._limits = PerValue("aggregate_metadata", self.limit)

    def limit(self, metadata: Mapping[str, frozenset[str]]) -> int:
        """The host's limit: its aggregates' (the lowest, also above the configured one),
        else the configured one (Nova's AggregateNumInstancesFilter)."""
        return aggregate_number(
            metadata.get(AGGREGATE_KEY, ()), self.config.max_instances_per_host, int
        )

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.instances < self.limit(host.aggregate_metadata)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        # One limit per distinct aggregate layout, spread over the rows by code.
        limits = np.array(self._limits.of(table), dtype=float)
        return table.column("instances")[rows] < limits[table.codes("aggregate_metadata")[rows]]

    def reason(self, spec: RequestSpec) -> str:
        return "already run their maximum number of instances"

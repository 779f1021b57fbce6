from __future__ import annotations

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights


class NumInstancesWeigher(BaseWeigher):
    """Instances on the host: positive packs onto busy hosts, negative spreads (off by default)."""

    name = "NumInstancesWeigher"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.instances)

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        return table.column("instances")[rows].copy()

from __future__ import annotations

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights


class BuildFailureWeigher(BaseWeigher):
    """Minus recent build failures: with the large default multiplier, failing hosts sink."""

    name = "BuildFailureWeigher"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return -float(host.recent_build_failures)

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        return -table.column("recent_build_failures")[rows]

from __future__ import annotations

import numpy as np

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights


class NoOpWeigher(BaseWeigher):
    """Weighs every host 0: with it alone, hosts keep the order the filters left them in."""

    name = "NoOpWeigher"

    def applies(self, spec: RequestSpec) -> bool:
        return False  # equal weights normalise to 0: nothing to compute

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return 0.0

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        return np.zeros(len(rows))

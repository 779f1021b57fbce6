"""What every weigher is: a raw number per host; the weighing code normalises and scales it.

`weigh` is the definition (one host); `weights` gives the raw numbers for many hosts at
once, by default row by row, in column arithmetic where it matters for speed.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec

Rows = npt.NDArray[np.intp]
Weights = npt.NDArray[np.float64]


class BaseWeigher:
    name: ClassVar[str] = "BaseWeigher"
    # Fixed ends of the scale, as Nova's weighers set them: a raw weight beyond one is
    # taken as that end, and normalising scales from it instead of the weights' own
    # lowest (or highest). None: the weights' own.
    minval: ClassVar[float | None] = None
    maxval: ClassVar[float | None] = None

    def __init__(self, multiplier: float) -> None:
        self.multiplier = multiplier

    def applies(self, spec: RequestSpec) -> bool:
        """False when every host would weigh the same for this request."""
        return self.multiplier != 0

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        raise NotImplementedError

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        states = table.states
        return np.fromiter(
            (self.weigh(states[row], spec) for row in rows), dtype=float, count=len(rows)
        )

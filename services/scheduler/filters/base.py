"""What every filter is: a pure check of one host against one request.

`host_passes` is the definition, and what unit tests specify. `passes` answers for many
hosts at once: the default asks `host_passes` row by row; filters that run on every
request override it with column arithmetic over the HostTable, which must agree with
`host_passes` on every host. `applies` lets a filter step aside for requests that ask
nothing of it (no hint, no extra specs), so it costs nothing then.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from services.scheduler.config import SchedulerConfig
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec

Rows = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]


class BaseFilter:
    """A filter never raises: it says pass or fail, and `reason` explains a failure."""

    name: ClassVar[str] = "BaseFilter"

    def __init__(self, config: SchedulerConfig) -> None:
        self.config = config

    def applies(self, spec: RequestSpec) -> bool:
        """False when this request asks nothing of the filter: every host would pass."""
        return True

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        raise NotImplementedError

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        """Which of the hosts at `rows` pass; the same answers as `host_passes`."""
        states = table.states
        return np.fromiter(
            (self.host_passes(states[row], spec) for row in rows), dtype=bool, count=len(rows)
        )

    def reason(self, spec: RequestSpec) -> str:
        """Why hosts fail this filter for `spec`, completing "N of M hosts ..."."""
        return "do not pass"

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.filters.distinct import PerValue
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec

KEY_PREFIX = "filter_tenant_id"  # also filter_tenant_id2, filter_tenant_id_team, ...


def allowed_projects(metadata: Mapping[str, frozenset[str]]) -> set[str]:
    """Projects the host's aggregates reserve it for; empty: the host is open to all.

    As Nova reads them, every comma-separated part counts, blank ones too: a key set to
    "" reserves the host for no project rather than opening it to every project.
    """
    return {
        part.strip()
        for key, values in metadata.items()
        if key.startswith(KEY_PREFIX)
        for value in values
        for part in value.split(",")
    }


def admits(metadata: Mapping[str, frozenset[str]], project_id: str) -> bool:
    allowed = allowed_projects(metadata)
    return not allowed or project_id in allowed


class AggregateMultiTenancyIsolation(BaseFilter):
    """Passes hosts open to every project, and tenant-isolated hosts of the request's project."""

    name = "AggregateMultiTenancyIsolation"

    def __init__(self, config: SchedulerConfig) -> None:
        super().__init__(config)
        self._allowed = PerValue("aggregate_metadata", allowed_projects)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return admits(host.aggregate_metadata, spec.project_id)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        project = spec.project_id
        admitted = np.fromiter(
            (not allowed or project in allowed for allowed in self._allowed.of(table)), dtype=bool
        )
        if admitted.all():
            return np.ones(len(rows), dtype=bool)
        return admitted[table.codes("aggregate_metadata")[rows]]

    def reason(self, spec: RequestSpec) -> str:
        return f"are reserved for projects other than {spec.project_id or '(none)'}"

from __future__ import annotations

from collections.abc import Mapping

from services.scheduler.filters import extra_specs_ops
from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.filters.distinct import per_distinct_value
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec

SCOPE = "aggregate_instance_extra_specs"


def aggregate_values(metadata: Mapping[str, frozenset[str]], key: str) -> set[str]:
    """Every value the host's aggregates give `key`; "a,b" counts as two (Nova splits)."""
    return {part.strip() for value in metadata.get(key, ()) for part in value.split(",")}


def metadata_satisfies(
    metadata: Mapping[str, frozenset[str]], wanted: list[tuple[str, str]]
) -> bool:
    for key, requirement in wanted:
        values = aggregate_values(metadata, key)
        if not any(extra_specs_ops.match(value, requirement) for value in values):
            return False
    return True


class AggregateInstanceExtraSpecsFilter(BaseFilter):
    """Passes hosts whose aggregates' metadata satisfies the flavor's extra specs."""

    name = "AggregateInstanceExtraSpecsFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return any(True for _ in extra_specs_ops.requirements(spec.extra_specs, SCOPE))

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        wanted = list(extra_specs_ops.requirements(spec.extra_specs, SCOPE))
        return metadata_satisfies(host.aggregate_metadata, wanted)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        wanted = list(extra_specs_ops.requirements(spec.extra_specs, SCOPE))
        return per_distinct_value(
            table, rows, "aggregate_metadata", lambda metadata: metadata_satisfies(metadata, wanted)
        )

    def reason(self, spec: RequestSpec) -> str:
        wanted = ", ".join(
            f"{key}={requirement}"
            for key, requirement in extra_specs_ops.requirements(spec.extra_specs, SCOPE)
        )
        return f"are in no aggregate whose metadata matches {wanted}"

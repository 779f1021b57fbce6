"""Deciding once per distinct value of a categorical HostTable column, not once per host.

Hosts share few zones, aggregate layouts, capability sets and supported-instance lists,
so a filter reading one of these asks its question once per distinct value and spreads
the answers over the rows by code. Not a filter itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import numpy as np

from services.scheduler.filters.base import Mask, Rows
from services.scheduler.host_state import HostTable

T = TypeVar("T")


def per_distinct_value(
    table: HostTable, rows: Rows, column: str, verdict: Callable[[Any], bool]
) -> Mask:
    """`verdict(value)` for the value of `column` at each of `rows`, asked once per value."""
    codes = table.codes(column)[rows]
    values = table.category_values(column)
    if len(values) <= 64 or len(values) <= len(rows) // 8:
        answers = np.fromiter((verdict(v) for v in values), dtype=bool, count=len(values))
        return answers[codes]
    # Many distinct values (say, per-host capabilities): ask only about those present.
    present, inverse = np.unique(codes, return_inverse=True)
    answers = np.fromiter((verdict(values[c]) for c in present), dtype=bool, count=len(present))
    return answers[inverse]


class PerValue(Generic[T]):
    """A fact derived from each distinct value of a column, derived once per value.

    A code's value never changes, so what was derived from it stays true; new values
    are derived as they appear. Follows whichever table it is asked about.
    """

    def __init__(self, column: str, derive: Callable[[Any], T]) -> None:
        self.column = column
        self.derive = derive
        self._source: list[Any] | None = None
        self._derived: list[T] = []

    def of(self, table: HostTable) -> list[T]:
        """The derived fact for every code of `table`'s column, by code."""
        values = table.category_values(self.column)
        if values is not self._source:
            self._source, self._derived = values, []
        derived = self._derived
        while len(derived) < len(values):
            derived.append(self.derive(values[len(derived)]))
        return derived

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import FACTS, HostState, HostTable
from services.scheduler.request_spec import RequestSpec


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[list[Any]], Any]:
    def method(args: list[Any]) -> bool:
        if len(args) < 2:
            return False
        try:
            return all(op(args[0], other) for other in args[1:])
        except TypeError:
            return False  # comparing a number with a string: not a match

    return method


def _in(args: list[Any]) -> bool:
    return len(args) >= 2 and args[0] in args[1:]


# Nova's JsonFilter operators. "not" gives a list, read as "any is true" at the top.
OPERATORS: dict[str, Callable[[list[Any]], Any]] = {
    "=": _compare(operator.eq),
    "<": _compare(operator.lt),
    ">": _compare(operator.gt),
    "<=": _compare(operator.le),
    ">=": _compare(operator.ge),
    "in": _in,
    "not": lambda args: [not arg for arg in args],
    "or": any,
    "and": all,
}

# Deeper queries are refused before they are read: evaluation recurses once per level.
MAX_DEPTH = 32


def problem(query: Any) -> str:
    """What is wrong with the query's shape; "" when it is well formed.

    Walks the query without recursion, so that no nesting can exhaust the stack.
    """
    if not isinstance(query, list):
        return "it is not a list"
    pending: list[tuple[list[Any], int]] = [(query, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            return f"it is nested deeper than {MAX_DEPTH} levels"
        if not node:
            continue
        if not isinstance(node[0], str) or node[0] not in OPERATORS:
            return f"unknown operator {node[0]!r}"
        pending.extend((arg, depth + 1) for arg in node[1:] if isinstance(arg, list))
    return ""


def _variable(text: str, host: HostState) -> Any:
    """A `$name[.key...]` lookup: Nova's HostState names first, then our own field names.

    As in Nova, an empty string and a name the host does not have are None (dropped).
    """
    if not text:
        return None
    if not text.startswith("$"):
        return text
    name, *path = text[1:].split(".")
    read = FACTS.get(name)
    value = read(host) if read else getattr(host, name, None)
    for item in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(item)
    return value


def evaluate(query: list[Any], host: HostState) -> Any:
    """Nova's evaluation: unknown variables drop out of the argument list."""
    if not query:
        return True
    args = []
    for arg in query[1:]:
        if isinstance(arg, list):
            arg = evaluate(arg, host)
        elif isinstance(arg, str):
            arg = _variable(arg, host)
        if arg is not None:
            args.append(arg)
    return OPERATORS[query[0]](args)


def _true(result: Any) -> bool:
    # A top-level "not" yields a list: the host passes if any element is true (Nova).
    return any(result) if isinstance(result, list) else bool(result)


class JsonFilter(BaseFilter):
    """Passes hosts for which the request's JSON query hint is true."""

    name = "JsonFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return bool(spec.query)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        if not spec.query:
            return True
        if problem(spec.query):
            return False  # a query we cannot read places nowhere rather than anywhere
        return _true(evaluate(spec.query, host))

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        if not spec.query:
            return np.ones(len(rows), dtype=bool)
        if problem(spec.query):
            return np.zeros(len(rows), dtype=bool)
        states, query = table.states, spec.query
        return np.fromiter(
            (_true(evaluate(query, states[row])) for row in rows), dtype=bool, count=len(rows)
        )

    def reason(self, spec: RequestSpec) -> str:
        wrong = problem(spec.query)
        if wrong:
            return f"were refused because the query hint is malformed: {wrong}"
        return "do not satisfy the query hint"

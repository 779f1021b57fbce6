from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
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

# Nova's HostState attribute names, as our HostState holds them.
VARIABLES: dict[str, Callable[[HostState], Any]] = {
    "host": lambda h: h.name,
    "nodename": lambda h: h.name,
    "hypervisor_hostname": lambda h: h.name,
    "free_ram_mb": lambda h: h.memory_mb - h.memory_mb_used,
    "free_disk_mb": lambda h: (h.local_gb - h.local_gb_used) * 1024,
    "total_usable_ram_mb": lambda h: h.memory_mb,
    "total_usable_disk_gb": lambda h: h.local_gb,
    "disk_mb_used": lambda h: h.local_gb_used * 1024,
    "vcpus_total": lambda h: h.vcpus,
    "vcpus_used": lambda h: h.vcpus_used,
    "num_instances": lambda h: h.instances,
    "host_ip": lambda h: h.host_ip,
    "hypervisor_type": lambda h: h.hypervisor_type,
    "availability_zone": lambda h: h.availability_zone,
    "capabilities": lambda h: h.capabilities,
    "aggregate_metadata": lambda h: h.aggregate_metadata,
}


def problem(query: Any) -> str:
    """What is wrong with the query's shape; "" when it is well formed."""
    if not isinstance(query, list):
        return "it is not a list"
    if not query:
        return ""
    if not isinstance(query[0], str) or query[0] not in OPERATORS:
        return f"unknown operator {query[0]!r}"
    for arg in query[1:]:
        if isinstance(arg, list) and (inner := problem(arg)):
            return inner
    return ""


def _variable(text: str, host: HostState) -> Any:
    if not text.startswith("$"):
        return text
    name, *path = text[1:].split(".")
    read = VARIABLES.get(name)
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

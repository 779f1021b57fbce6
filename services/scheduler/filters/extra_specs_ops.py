"""Nova's extra-spec operators: does a host's value satisfy a flavor's requirement?

Shared by ComputeCapabilitiesFilter (against host capabilities) and
AggregateInstanceExtraSpecsFilter (against aggregate metadata). Not a filter itself.

A requirement is "<op> <operand>" or a plain string compared for equality:

    "= 4"          numeric, value >= 4 (the "at least" of flavors)
    "== 4"         numeric equality        "!= 4"  numeric inequality
    ">= 4" "<= 4"  numeric comparisons
    "s== x" "s!= x" "s< x" "s<= x" "s> x" "s>= x"   string comparisons
    "<in> avx"     the operand is a substring of the value
    "<all-in> a b" every operand is a substring of the value
    "<or> a <or> b" the value equals one of the alternatives
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def method(value: str, operand: str) -> bool:
        return compare(float(value), float(operand))

    return method


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "=": _numeric(operator.ge),
    "==": _numeric(operator.eq),
    "!=": _numeric(operator.ne),
    ">=": _numeric(operator.ge),
    "<=": _numeric(operator.le),
    "s==": operator.eq,
    "s!=": operator.ne,
    "s<": operator.lt,
    "s<=": operator.le,
    "s>": operator.gt,
    "s>=": operator.ge,
    "<in>": lambda value, operand: operand in value,
}


def match(value: str | None, requirement: str) -> bool:
    """Whether `value` (None: the host has no such value) satisfies `requirement`."""
    words = requirement.split()
    op = words.pop(0) if words else ""
    if op not in _OPERATORS and op not in ("<or>", "<all-in>"):
        return value == requirement  # no operator: the whole string must be equal
    if value is None:
        return False
    if op == "<or>":
        # "<or> a <or> b": every other word is an alternative.
        return value in words[0::2]
    if not words:
        return False  # an operator with nothing to compare against matches nothing
    if op == "<all-in>":
        return all(word in value for word in words)
    try:
        return _OPERATORS[op](value, words[0])
    except ValueError:
        return False  # a numeric operator on a value that is not a number


def requirements(extra_specs: Mapping[str, str], scope: str) -> Iterator[tuple[str, str]]:
    """(key, requirement) for the unscoped keys and the keys scoped `scope:`.

    Keys of other scopes ("hw:", "quota:", ...) belong to someone else and are skipped.
    """
    for key, requirement in extra_specs.items():
        prefix, colon, rest = key.partition(":")
        if not colon:
            yield key, requirement
        elif prefix == scope:
            yield rest, requirement

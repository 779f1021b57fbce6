"""Host filters, enabled by name in an ordered list (cheapest, most restrictive first).

Each filter is one module with one class; REGISTRY maps the names config uses to them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence

from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.base import BaseFilter


def _discover() -> dict[str, type[BaseFilter]]:
    found: dict[str, type[BaseFilter]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseFilter)
                and value is not BaseFilter
            ):
                found[value.name] = value
    return found


REGISTRY: dict[str, type[BaseFilter]] = _discover()


def names_from(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def build(names: Sequence[str], config: SchedulerConfig) -> list[BaseFilter]:
    """Instantiate the named filters in order; an unknown name is a configuration error."""
    unknown = [name for name in names if name not in REGISTRY]
    if unknown:
        raise ValueError(
            f"unknown scheduler filter(s): {', '.join(unknown)}; "
            f"available: {', '.join(sorted(REGISTRY))}"
        )
    return [REGISTRY[name](config) for name in names]

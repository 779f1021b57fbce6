"""Waiting for a condition instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], T | Awaitable[T]], within_seconds: float = 20.0, interval: float = 0.05
) -> T:
    """Call `check` until it returns something truthy, and return that; else fail."""
    last: T | None = None
    try:
        async with asyncio.timeout(within_seconds):
            while True:
                result = check()
                last = await result if inspect.isawaitable(result) else result  # type: ignore[assignment]
                if last:
                    return last
                await asyncio.sleep(interval)
    except TimeoutError:
        raise AssertionError(
            f"condition not met within {within_seconds}s; last value: {last!r}"
        ) from None

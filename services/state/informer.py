"""A live, in-memory view of one key prefix: list once, then watch from that revision.

If the watch's revision was compacted (the view fell too far behind), it lists again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

import structlog

from services.state.etcd import CompactedError, Etcd

log = structlog.get_logger(__name__)
V = TypeVar("V")


class Informer(Generic[V]):
    """`items` maps the id (key without prefix) to the decoded value and its mod_revision."""

    def __init__(self, etcd: Etcd, prefix: str, decode: Callable[[bytes], V]) -> None:
        self.etcd = etcd
        self.prefix = prefix
        self.decode = decode
        self.items: dict[str, tuple[V, int]] = {}
        self.revision = 0
        self._task: asyncio.Task[None] | None = None
        # Called with the id of every record that changed; after a relist, on_relist.
        self.on_change: Callable[[str], None] | None = None
        self.on_relist: Callable[[], None] | None = None

    async def start(self) -> None:
        await self._relist()
        self._task = asyncio.create_task(self._run(), name=f"informer {self.prefix}")

    async def stop(self, wait_seconds: float = 2.0) -> None:
        """Stop watching. Waits at most `wait_seconds`: a watch still being created inside
        the etcd client may not see its cancellation at once, and shutdown must not hang."""
        if self._task is None:
            return
        self._task.cancel()
        done, _ = await asyncio.wait({self._task}, timeout=wait_seconds)
        if not done:
            log.warning("watch did not stop in time", prefix=self.prefix)
        elif not self._task.cancelled() and self._task.exception() is not None:
            log.warning("watch had failed", prefix=self.prefix, error=str(self._task.exception()))

    async def _relist(self) -> None:
        kvs, revision = await self.etcd.list(self.prefix)
        self.items = {self._id(kv.key): (self.decode(kv.value), kv.mod_revision) for kv in kvs}
        self.revision = revision

    def _id(self, key: str) -> str:
        return key[len(self.prefix) :]

    def fold(self, record_id: str, value: V, mod_revision: int) -> None:
        """Take a value this process wrote itself, ahead of its watch event, if it is newer."""
        known = self.items.get(record_id)
        if known is None or known[1] < mod_revision:
            self.items[record_id] = (value, mod_revision)
            if self.on_change is not None:
                self.on_change(record_id)

    async def _run(self) -> None:
        while True:
            try:
                async for event in self.etcd.watch(self.prefix, self.revision + 1):
                    record_id = self._id(event.key)
                    if event.deleted:
                        self.items.pop(record_id, None)
                    else:
                        known = self.items.get(record_id)
                        if known is None or known[1] < event.revision:
                            self.items[record_id] = (self.decode(event.value), event.revision)
                    self.revision = event.revision
                    if self.on_change is not None:
                        self.on_change(record_id)
            except CompactedError:
                log.warning("watch revision compacted, listing again", prefix=self.prefix)
                await self._relist()
                if self.on_relist is not None:
                    self.on_relist()

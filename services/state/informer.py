"""A live, in-memory view of one key prefix: list once, then watch from that revision.

If the watch's revision was compacted (the view fell too far behind), it lists again. The
view never stops following etcd: a record it cannot decode is left out with a warning, and
a watch that fails in a way the connection does not handle itself is re-created after a
short pause, listing again first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

import structlog

from services.state.etcd import CompactedError, Etcd, WatchEvent

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
        items: dict[str, tuple[V, int]] = {}
        for kv in kvs:
            value = self._decoded(kv.key, kv.value)
            if value is not None:
                items[self._id(kv.key)] = (value, kv.mod_revision)
        self.items = items
        self.revision = revision

    def _decoded(self, key: str, raw: bytes) -> V | None:
        """The value, or None (logged) when it cannot be decoded: one bad record must not
        blind the view to every other."""
        try:
            return self.decode(raw)
        except Exception as exc:
            log.warning("record cannot be decoded, left out", key=key, error=str(exc))
            return None

    def _id(self, key: str) -> str:
        return key[len(self.prefix) :]

    def fold(self, record_id: str, value: V, mod_revision: int) -> None:
        """Take a value this process wrote itself, ahead of its watch event, if it is newer."""
        known = self.items.get(record_id)
        if known is None or known[1] < mod_revision:
            self.items[record_id] = (value, mod_revision)
            if self.on_change is not None:
                self.on_change(record_id)

    def _apply(self, event: WatchEvent) -> None:
        record_id = self._id(event.key)
        value = None if event.deleted else self._decoded(event.key, event.value)
        if value is None:
            self.items.pop(record_id, None)
        else:
            known = self.items.get(record_id)
            if known is None or known[1] < event.revision:
                self.items[record_id] = (value, event.revision)
        self.revision = event.revision
        if self.on_change is not None:
            self.on_change(record_id)

    async def _run(self) -> None:
        pause = 0.1
        while True:
            try:
                async for event in self.etcd.watch(self.prefix, self.revision + 1):
                    self._apply(event)
                    pause = 0.1
            except CompactedError:
                log.warning("watch revision compacted, listing again", prefix=self.prefix)
                await self._relisted()
            except Exception:
                # Whatever broke the watch, a view that stopped following would go stale
                # silently: pause, list again, watch again.
                log.exception("watch failed, listing again", prefix=self.prefix)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
                try:
                    await self._relisted()
                except Exception as exc:
                    # The watch resumes from the last revision seen: nothing is missed.
                    log.warning("listing again failed", prefix=self.prefix, error=str(exc))

    async def _relisted(self) -> None:
        await self._relist()
        if self.on_relist is not None:
            self.on_relist()

"""The etcd connection every stateful service shares, built on aetcd.

What aetcd leaves to us, handled here: transactions that report the revision they wrote
at, watches that survive an etcd restart (re-created from the last seen revision + 1),
leases kept alive by our own loop and re-granted if they expire, and retries of idempotent
reads while a leader is being elected.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aetcd
import grpc
import structlog
from aetcd import exceptions as etcd_errors
from aetcd import rpc
from aetcd.transactions import BaseCompare, Create, Delete, Mod, Put
from aetcd.utils import prefix_range_end
from prometheus_client import Counter

from services.runtime.errors import Unavailable

log = structlog.get_logger(__name__)
T = TypeVar("T")

ETCD_TXNS = Counter(
    "stratus_etcd_transactions_total",
    "etcd transactions this process sent, by outcome (committed, conflict, or error: "
    "no answer from etcd).",
    ["outcome"],
)
for _outcome in ("committed", "conflict", "error"):
    ETCD_TXNS.labels(_outcome)  # each outcome is a series from the start, at 0
ETCD_WATCH_RESTARTS = Counter(
    "stratus_etcd_watch_restarts_total",
    "Watches re-created after the connection to etcd broke or the revision was compacted.",
)

RETRYABLE = (etcd_errors.ConnectionFailedError, etcd_errors.ConnectionTimeoutError)


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: bytes
    mod_revision: int
    create_revision: int
    lease: int = 0


@dataclass(frozen=True)
class TxnResult:
    succeeded: bool
    revision: int  # the store's revision after the transaction (its writes carry it)


@dataclass(frozen=True)
class WatchEvent:
    key: str
    value: bytes  # empty for deletes
    revision: int
    deleted: bool


class CompactedError(Exception):
    """The revision asked for was compacted; re-list and watch from the listing's revision."""

    def __init__(self, compacted_revision: int) -> None:
        super().__init__(f"revision compacted below {compacted_revision}")
        self.compacted_revision = compacted_revision


def absent(key: str) -> BaseCompare:
    """Compare: the key does not exist."""
    return Create(key.encode()) == 0


def present(key: str) -> BaseCompare:
    """Compare: the key exists (whatever was last written to it)."""
    return Create(key.encode()) > 0


def unchanged(key: str, mod_revision: int) -> BaseCompare:
    """Compare: the key was last written at `mod_revision` (0 also means absent)."""
    if mod_revision == 0:
        return absent(key)
    return Mod(key.encode()) == mod_revision


def put(key: str, value: bytes, lease: int = 0) -> Put:
    return Put(key.encode(), value, lease=lease or None)


def delete(key: str) -> Delete:
    return Delete(key.encode())


def delete_prefix(prefix: str) -> Delete:
    """Delete every key under `prefix`, whatever was written there meanwhile."""
    return Delete(prefix.encode(), range_end=prefix_range_end(prefix.encode()))


def _kv(raw: Any) -> KeyValue:
    return KeyValue(
        key=raw.key.decode(),
        value=bytes(raw.value),
        mod_revision=raw.mod_revision,
        create_revision=raw.create_revision,
        lease=raw.lease,
    )


# gRPC's default reconnect backoff grows to 120 s: after an etcd outage of 15 s a process
# would wait up to another 12 s before it even tries again. Redial at most a second apart.
# gRPC's "min reconnect backoff" is the least time one connection attempt is given: an
# etcd that has just opened its port may take a moment to answer, and an attempt cut
# short after 100 ms only starts over.
RECONNECT_OPTIONS = {
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.min_reconnect_backoff_ms": 5000,
    "grpc.max_reconnect_backoff_ms": 1000,
}


def _client_for(endpoints: str, timeout_seconds: float) -> aetcd.Client:
    addresses = [e.strip() for e in endpoints.split(",") if e.strip()]
    if not addresses:
        raise ValueError("no etcd endpoint configured")
    last_host, _, last_port = addresses[-1].rpartition(":")
    if len(addresses) == 1:
        return aetcd.Client(
            host=last_host,
            port=int(last_port),
            timeout=timeout_seconds,
            options=dict(RECONNECT_OPTIONS),
        )
    # aetcd joins host and port into one gRPC target; an ipv4: list gives failover.
    head = ",".join(addresses[:-1])
    return aetcd.Client(
        host=f"ipv4:{head},{last_host}",
        port=int(last_port),
        timeout=timeout_seconds,
        options={**RECONNECT_OPTIONS, "grpc.lb_policy_name": "round_robin"},
    )


class Etcd:
    """One process's connection to etcd."""

    def __init__(self, endpoints: str, *, timeout_seconds: float = 5.0) -> None:
        self.endpoints = endpoints
        self.client = _client_for(endpoints, timeout_seconds)

    async def connect(self, *, wait_seconds: float = 30.0) -> None:
        """Connect, waiting up to `wait_seconds` for etcd to answer."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            try:
                await self.client.connect()
                await self.client.status()
                return
            except (TimeoutError, *RETRYABLE) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise Unavailable(f"etcd at {self.endpoints} does not answer: {exc}") from exc
                await asyncio.sleep(0.2)

    async def close(self) -> None:
        await self.client.close()

    async def _retry(self, operation: Callable[[], Awaitable[T]], attempts: int = 20) -> T:
        """Retry an idempotent operation through a leader election or an etcd restart."""
        delay = 0.05
        for attempt in range(attempts):
            try:
                return await operation()
            except RETRYABLE as exc:
                if attempt == attempts - 1:
                    raise Unavailable(f"etcd unavailable: {exc}") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    async def get(self, key: str) -> KeyValue | None:
        result = await self._retry(lambda: self.client.get(key.encode()))
        return _kv(result) if result is not None else None

    async def list(self, prefix: str) -> tuple[list[KeyValue], int]:
        """Every key under `prefix`, sorted by key, and the revision of the listing."""

        async def read() -> tuple[list[KeyValue], int]:
            result = await self.client.get_prefix(prefix.encode(), sort_order="ascend")
            return [_kv(kv) for kv in result.kvs], result.header.revision

        return await self._retry(read)

    async def revision(self) -> int:
        async def read() -> int:
            request = rpc.RangeRequest(key=b"\0", count_only=True)
            response = await self.client.kvstub.Range(request, timeout=5)
            return int(response.header.revision)

        return await self._retry(read)

    async def txn(
        self,
        compare: Sequence[BaseCompare],
        success: Sequence[Any],
        failure: Sequence[Any] = (),
    ) -> TxnResult:
        """One atomic transaction. Not retried: a lost reply may have committed.

        While etcd is being redialled (a restart, a leader change) the transaction waits,
        within its deadline, to be sent, rather than failing before it reached etcd.
        """
        await self.client.connect()
        request = rpc.TxnRequest(
            compare=[c.build_message() for c in compare],
            success=self.client._ops_to_requests(list(success)),
            failure=self.client._ops_to_requests(list(failure)),
        )
        try:
            response = await self.client.kvstub.Txn(request, timeout=10, wait_for_ready=True)
        except grpc.aio.AioRpcError as exc:
            ETCD_TXNS.labels("error").inc()
            raise Unavailable(f"etcd transaction failed: {exc.details()}") from exc
        ETCD_TXNS.labels("committed" if response.succeeded else "conflict").inc()
        return TxnResult(bool(response.succeeded), int(response.header.revision))

    async def put(self, key: str, value: bytes, lease: int = 0) -> int:
        """An unconditional write (only for keys one writer owns, like lease-bound ones)."""
        result = await self.txn([], [put(key, value, lease)])
        return result.revision

    async def delete_key(self, key: str) -> None:
        await self._retry(lambda: self.client.delete(key.encode()))

    async def grant_lease(self, ttl_seconds: int) -> int:
        lease = await self._retry(lambda: self.client.lease(ttl_seconds))
        return int(lease.id)

    async def refresh_lease(self, lease_id: int) -> int:
        """Keep a lease alive once; returns its remaining TTL (0 or less: it expired)."""
        reply = await self.client.refresh_lease(lease_id)
        return int(reply.TTL) if reply is not None else 0

    async def revoke_lease(self, lease_id: int) -> None:
        with contextlib.suppress(*RETRYABLE, etcd_errors.ClientError):
            await self.client.revoke_lease(lease_id)

    async def watch(self, prefix: str, start_revision: int) -> AsyncIterator[WatchEvent]:
        """Every change under `prefix` from `start_revision` (inclusive), forever.

        Survives etcd restarts by re-creating the watch after the last revision seen.
        Raises CompactedError when `start_revision` (or the resume point) was compacted.
        """
        next_revision = start_revision
        delay = 0.05
        while True:
            watch = None
            try:
                await self.client.connect()
                watch = await self.client.watch(
                    prefix.encode(),
                    range_end=prefix_range_end(prefix.encode()),
                    start_revision=next_revision,
                )
                delay = 0.05
                async for event in watch:
                    revision = event.kv.mod_revision
                    yield WatchEvent(
                        key=event.kv.key.decode(),
                        value=bytes(event.kv.value),
                        revision=revision,
                        deleted=event.kind == "DELETE",
                    )
                    next_revision = revision + 1
            except etcd_errors.RevisionCompactedError as exc:
                ETCD_WATCH_RESTARTS.inc()
                raise CompactedError(exc.compacted_revision) from exc
            except (*RETRYABLE, etcd_errors.WatchTimeoutError, etcd_errors.InternalError) as exc:
                ETCD_WATCH_RESTARTS.inc()
                log.warning(
                    "etcd watch broken, re-creating",
                    prefix=prefix,
                    from_revision=next_revision,
                    error=str(exc),
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
            finally:
                if watch is not None:
                    with contextlib.suppress(Exception):
                        await watch.cancel()


class LeaseKeeper:
    """Holds an etcd lease alive, and re-grants it (calling `on_new_lease`) if it expired.

    Keys under the lease vanish when the process dies or loses etcd longer than the TTL:
    that is how a stopped service disappears from the service list.
    """

    def __init__(
        self,
        etcd: Etcd,
        ttl_seconds: int,
        on_new_lease: Callable[[int], Awaitable[None]],
    ) -> None:
        self.etcd = etcd
        self.ttl_seconds = ttl_seconds
        self.on_new_lease = on_new_lease
        self.lease_id = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        self.lease_id = await self.etcd.grant_lease(self.ttl_seconds)
        await self.on_new_lease(self.lease_id)
        self._task = asyncio.create_task(self._keep_alive(), name="lease-keepalive")
        return self.lease_id

    async def _keep_alive(self) -> None:
        interval = max(self.ttl_seconds / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            try:
                remaining = await self.etcd.refresh_lease(self.lease_id)
                if remaining <= 0:
                    log.warning("lease expired, granting a new one", lease=self.lease_id)
                    self.lease_id = await self.etcd.grant_lease(self.ttl_seconds)
                    await self.on_new_lease(self.lease_id)
            except (*RETRYABLE, Unavailable, etcd_errors.ClientError) as exc:
                log.warning("lease keepalive failed, retrying", error=str(exc))
            except Exception:
                log.exception("lease keepalive error")

    async def stop(self, *, revoke: bool = True) -> None:
        """Stop refreshing and revoke the lease: its keys disappear now, not after the TTL.

        With `revoke=False` the lease is left to expire: its keys stay for up to the TTL
        (a grace in which someone else may take them over under a lease of their own).
        """
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.lease_id and revoke:
            await self.etcd.revoke_lease(self.lease_id)

"""Typed repositories: protobuf messages stored one per key, updated only by compare-and-swap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from services.runtime.errors import AlreadyExists, NotFound, Unavailable
from services.state import etcd as ops
from services.state.etcd import Etcd

M = TypeVar("M", bound=Message)

# How often a read-modify-write retries after losing a race before giving up.
MAX_CAS_ATTEMPTS = 50


@dataclass(frozen=True)
class Versioned(Generic[M]):
    """A stored message and the revision it was read at: the token for the next update."""

    id: str
    message: M
    mod_revision: int


class Repository(Generic[M]):
    """All records of one kind, under one key prefix."""

    def __init__(
        self, etcd: Etcd, prefix: str, message_type: type[M], kind: str, *, nested: bool = False
    ) -> None:
        self.etcd = etcd
        self.prefix = prefix
        self.message_type = message_type
        self.kind = kind
        # Nested ids ("<parent>/<child>") are ours; a caller's id never reaches another key.
        self.nested = nested

    def key(self, record_id: str) -> str:
        return self.prefix + record_id

    def decode(self, kv: ops.KeyValue) -> Versioned[M]:
        message = self.message_type()
        message.ParseFromString(kv.value)
        return Versioned(kv.key[len(self.prefix) :], message, kv.mod_revision)

    async def get(self, record_id: str) -> Versioned[M] | None:
        if not record_id or ("/" in record_id and not self.nested):
            return None
        kv = await self.etcd.get(self.key(record_id))
        return self.decode(kv) if kv is not None else None

    async def require(self, record_id: str) -> Versioned[M]:
        found = await self.get(record_id)
        if found is None:
            raise NotFound(f"{self.kind} {record_id} could not be found.")
        return found

    async def list(self) -> tuple[list[Versioned[M]], int]:
        kvs, revision = await self.etcd.list(self.prefix)
        return [self.decode(kv) for kv in kvs], revision

    # Building blocks for transactions that span several kinds.

    def put_op(self, record_id: str, message: M, lease: int = 0) -> Any:
        return ops.put(self.key(record_id), message.SerializeToString(), lease)

    def delete_op(self, record_id: str) -> Any:
        return ops.delete(self.key(record_id))

    def unchanged(self, record_id: str, mod_revision: int) -> Any:
        return ops.unchanged(self.key(record_id), mod_revision)

    def absent(self, record_id: str) -> Any:
        return ops.absent(self.key(record_id))

    def present(self, record_id: str) -> Any:
        return ops.present(self.key(record_id))

    # Whole operations.

    async def create(self, record_id: str, message: M) -> Versioned[M]:
        result = await self.etcd.txn([self.absent(record_id)], [self.put_op(record_id, message)])
        if not result.succeeded:
            raise AlreadyExists(f"{self.kind} {record_id} already exists.")
        return Versioned(record_id, message, result.revision)

    async def update(
        self,
        record_id: str,
        mutate: Callable[[M], None],
        *,
        extra_ops: Sequence[Any] = (),
    ) -> Versioned[M]:
        """Read, apply `mutate` to a copy, write back if nobody wrote in between; else retry.

        `mutate` may raise to refuse the change (e.g. Conflict); nothing is written then.
        """
        for _ in range(MAX_CAS_ATTEMPTS):
            current = await self.require(record_id)
            updated = self.message_type()
            updated.CopyFrom(current.message)
            mutate(updated)
            result = await self.etcd.txn(
                [self.unchanged(record_id, current.mod_revision)],
                [self.put_op(record_id, updated), *extra_ops],
            )
            if result.succeeded:
                return Versioned(record_id, updated, result.revision)
        raise Unavailable(f"{self.kind} {record_id} is changing too fast; try again.")

    async def delete(self, record_id: str) -> bool:
        """Delete if present; True when this call removed it."""
        current = await self.get(record_id)
        if current is None:
            return False
        result = await self.etcd.txn(
            [self.unchanged(record_id, current.mod_revision)], [self.delete_op(record_id)]
        )
        return result.succeeded

"""The instance action log (Nova's os-instance-actions): one record per request on a server."""

from __future__ import annotations

import contextlib

from google.protobuf.timestamp_pb2 import Timestamp

from services.runtime.context import RequestContext
from services.runtime.errors import NotFound
from services.state.store import Store
from stratus.v1 import types_pb2 as t


def now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp


def started(ctx: RequestContext, instance_id: str, action: str) -> tuple[str, t.InstanceAction]:
    """A new record for `action` (id and message), to write with the request's other keys."""
    record = t.InstanceAction(
        instance_id=instance_id,
        request_id=ctx.request_id,
        action=action,
        user_id=ctx.user_id,
        project_id=ctx.project_id,
        start_time=now(),
    )
    return Store.action_id(record), record


async def finished_ops(store: Store, action_id: str, error: str = "") -> list[object]:
    """The write that marks the action done, for the transaction that records the outcome.

    Only the flow that owns the action finishes it, so no compare is needed.
    """
    found = await store.actions.get(action_id) if action_id else None
    if found is None:
        return []
    record = t.InstanceAction()
    record.CopyFrom(found.message)
    record.finish_time.CopyFrom(now())
    record.result = "Error" if error else "Success"
    record.message = error
    return [store.actions.put_op(action_id, record)]


async def finish(store: Store, action_id: str, error: str = "") -> None:
    """Mark the action done: `Success`, or `Error` with the cause. Gone records are ignored."""

    def complete(record: t.InstanceAction) -> None:
        record.finish_time.CopyFrom(now())
        record.result = "Error" if error else "Success"
        record.message = error

    with contextlib.suppress(NotFound):
        await store.actions.update(action_id, complete)

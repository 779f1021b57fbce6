"""The conductor's task queue: durable intents in etcd, taken by exactly one conductor.

The api writes a task in the same transaction as the state change it asks for, then
tells a conductor. A conductor takes a task by writing itself as its owner (a CAS); a
task whose owner is gone (its service record expired) is taken over by the periodic sweep,
so a conductor that dies mid-flow never leaves a server stuck: its successor reruns the
flow, and every flow is written to be safe to rerun. A flow that fails (etcd or a peer
briefly away) is run again by its own conductor after a pause that doubles with each
attempt, up to the sweep interval, rather than waiting for the next sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog
from prometheus_client import Counter, Gauge

from services.runtime import context, tracing
from services.runtime.errors import Conflict, NotFound
from services.state.store import Store
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

TASKS_DONE = Counter(
    "stratus_conductor_tasks_total", "Tasks finished, by kind and outcome.", ["kind", "outcome"]
)
TASKS_RUNNING = Gauge("stratus_conductor_tasks_running", "Tasks this conductor is running.")
# Cluster-wide, as of this conductor's last sweep (every replica reports the same queue).
TASKS_QUEUED = Gauge(
    "stratus_conductor_tasks_queued",
    "Unfinished tasks in etcd (running or waiting), as of this conductor's last sweep.",
)
OLDEST_TASK_AGE = Gauge(
    "stratus_conductor_oldest_task_age_seconds",
    "Age of the oldest unfinished task in etcd as of this conductor's last sweep (0: none).",
)

Flow = Callable[[t.Task], Awaitable[None]]

# The first pause before a failed task runs again; it doubles with every attempt.
RETRY_FIRST_SECONDS = 0.25


class TaskRunner:
    def __init__(
        self,
        store: Store,
        conductor_id: str,
        flows: dict[t.Task.Kind, Flow],
        sweep_interval_seconds: float,
    ) -> None:
        self.store = store
        self.conductor_id = conductor_id
        self.flows = flows
        self.sweep_interval_seconds = sweep_interval_seconds
        self.running: dict[str, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Task[None]] = set()
        self._accepting = True

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="task-sweeper")

    async def submit(self, task_id: str) -> bool:
        """Take the task if nobody live owns it and start its flow; False if not taken."""
        if not self._accepting or task_id in self.running:
            return task_id in self.running
        live = await self.store.live_service_ids("stratus-conductor")

        def take(task: t.Task) -> None:
            if task.owner and task.owner != self.conductor_id and task.owner in live:
                raise Conflict(f"task {task_id} is owned by {task.owner}")
            task.owner = self.conductor_id
            task.attempts += 1

        try:
            taken = await self.store.tasks.update(task_id, take)
        except (NotFound, Conflict):
            return False
        if task_id in self.running:  # a concurrent submit of the same task won
            return True
        self.running[task_id] = asyncio.create_task(self._run(taken.message))
        TASKS_RUNNING.set(len(self.running))
        return True

    async def _run(self, task: t.Task) -> None:
        kind = t.Task.Kind.Name(task.kind)
        ctx = context.RequestContext.from_proto(task.context)
        with (
            context.bound(ctx),
            # A child of the request's span, wherever and whenever the flow runs.
            tracing.span(
                f"conductor {kind.removeprefix('KIND_').lower()}",
                parent=tracing.parent_from_traceparent(task.traceparent),
                request_id=ctx.request_id,
                attributes={
                    "stratus.task_id": task.id,
                    "stratus.instance_id": task.instance_id,
                    "stratus.task_attempt": task.attempts,
                },
            ),
        ):
            log.info(
                "task started",
                task_id=task.id,
                kind=kind,
                instance_id=task.instance_id,
                attempt=task.attempts,
            )
            try:
                await self.flows[task.kind](task)
                await self.store.tasks.delete(task.id)
                TASKS_DONE.labels(kind, "done").inc()
                log.info("task finished", task_id=task.id, kind=kind)
            except asyncio.CancelledError:
                TASKS_DONE.labels(kind, "interrupted").inc()
                raise
            except Exception:
                # The task stays in etcd: retried soon, and by the sweep if this process dies.
                TASKS_DONE.labels(kind, "failed").inc()
                log.exception("task failed; it will be retried", task_id=task.id, kind=kind)
                self._retry_later(task)
            finally:
                self.running.pop(task.id, None)
                TASKS_RUNNING.set(len(self.running))

    def retry_delay(self, attempts: int) -> float:
        """The pause before running a failed task again: 0.25 s doubling per attempt,
        never longer than the sweep interval."""
        return float(
            min(
                RETRY_FIRST_SECONDS * 2 ** min(max(0, attempts - 1), 16),
                self.sweep_interval_seconds,
            )
        )

    def _retry_later(self, task: t.Task) -> None:
        async def retry() -> None:
            await asyncio.sleep(self.retry_delay(task.attempts))
            try:
                await self.submit(task.id)
            except Exception as exc:  # the sweep still covers it
                log.warning("task retry not started", task_id=task.id, error=str(exc))

        pending = asyncio.create_task(retry(), name=f"task-retry {task.id}")
        self._retries.add(pending)
        pending.add_done_callback(self._retries.discard)

    async def sweep(self) -> None:
        """Take every task that is unowned or whose owner is gone."""
        tasks, _ = await self.store.tasks.list()
        TASKS_QUEUED.set(len(tasks))
        created = [
            found.message.created_at.ToSeconds()
            for found in tasks
            if found.message.HasField("created_at")
        ]
        OLDEST_TASK_AGE.set(max(0.0, time.time() - min(created)) if created else 0.0)
        for found in tasks:
            if found.id not in self.running:
                await self.submit(found.id)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("task sweep failed")
            await asyncio.sleep(self.sweep_interval_seconds)

    async def stop(self, grace_seconds: float) -> None:
        """Take no new tasks; give running ones `grace_seconds`, then leave them to the sweep."""
        self._accepting = False
        for retry in list(self._retries):
            retry.cancel()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self.running:
            _, pending = await asyncio.wait(list(self.running.values()), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

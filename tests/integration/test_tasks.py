"""The conductor's task queue on a real etcd: a failed flow is run again by its conductor."""

from __future__ import annotations

from services.conductor.tasks import TaskRunner
from services.runtime.errors import Unavailable
from services.state.store import Store
from stratus.v1 import types_pb2 as t
from tests.waiting import eventually

# Long enough that only the runner's own retry can finish a failed task in a test.
NO_SWEEP_SECONDS = 3600.0


async def test_a_flow_that_failed_on_a_passing_outage_runs_again_without_waiting_for_the_sweep(
    store: Store,
) -> None:
    """A flow that fails (etcd or a peer was briefly away) is retried by the conductor
    that owns it after a short pause, not only at the next sweep, which may be minutes off;
    the task is gone once a run succeeds, and its attempts are counted."""
    runs: list[int] = []

    async def flaky(task: t.Task) -> None:
        runs.append(task.attempts)
        if len(runs) < 3:
            raise Unavailable("etcd transaction failed: Stream removed")

    await store.tasks.create("task-1", t.Task(id="task-1", kind=t.Task.KIND_BUILD))
    runner = TaskRunner(store, "conductor-a", {t.Task.KIND_BUILD: flaky}, NO_SWEEP_SECONDS)
    try:
        assert await runner.submit("task-1")
        await eventually(lambda: len(runs) == 3, within_seconds=15)

        async def removed() -> bool:
            return await store.tasks.get("task-1") is None

        await eventually(removed, within_seconds=5)
        assert runs == [1, 2, 3]
    finally:
        await runner.stop(grace_seconds=1)

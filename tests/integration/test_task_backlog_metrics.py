"""The conductor's backlog gauges on a real etcd: how many tasks wait, and the oldest's age."""

from __future__ import annotations

import asyncio
import time

from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY

from services.conductor.tasks import TaskRunner
from services.state.store import Store
from stratus.v1 import types_pb2 as t


def _created(seconds_ago: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(int((time.time() - seconds_ago) * 1e9))
    return stamp


def _gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


async def test_a_sweep_publishes_the_queue_length_and_its_oldest_task_age(store: Store) -> None:
    stuck = asyncio.Event()

    async def never_finishes(task: t.Task) -> None:
        await stuck.wait()

    for task_id, seconds_ago in (("old", 1200.0), ("new", 5.0)):
        await store.tasks.create(
            task_id,
            t.Task(id=task_id, kind=t.Task.KIND_BUILD, created_at=_created(seconds_ago)),
        )
    runner = TaskRunner(store, "conductor-a", {t.Task.KIND_BUILD: never_finishes}, 3600.0)
    try:
        await runner.sweep()
        assert _gauge("stratus_conductor_tasks_queued") == 2
        age = _gauge("stratus_conductor_oldest_task_age_seconds")
        assert age is not None and 1200 <= age < 1300

        stuck.set()
        await asyncio.gather(*runner.running.values())
        await runner.sweep()
        assert _gauge("stratus_conductor_tasks_queued") == 0
        assert _gauge("stratus_conductor_oldest_task_age_seconds") == 0
    finally:
        await runner.stop(grace_seconds=1)

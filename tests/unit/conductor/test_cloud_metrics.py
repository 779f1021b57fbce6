"""Quota usage per project on /metrics: a bounded set of series, and time to ACTIVE."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY

from services.conductor import cloud_metrics
from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import identity_pb2 as ident
from stratus.v1 import types_pb2 as t


def _usage(project: str, instances: int, cores: int, ram: int = 0) -> compute_pb2.QuotaUsage:
    return compute_pb2.QuotaUsage(
        project_id=project, in_use={"instances": instances, "cores": cores, "ram": ram}
    )


def _in_use(project: str, resource: str) -> float | None:
    return REGISTRY.get_sample_value(
        "stratus_quota_in_use", {"project": project, "resource": resource}
    )


def test_the_projects_using_most_cores_get_a_series_each_and_the_rest_are_summed() -> None:
    usages = [_usage(f"p{n}", instances=1, cores=n, ram=100) for n in range(1, 6)]

    labelled = cloud_metrics.top_projects(usages, {"p5": "biggest"}, top=2)

    assert set(labelled) == {"biggest", "p4", "other"}
    assert labelled["biggest"] == {"instances": 1, "cores": 5, "ram": 100}
    assert labelled["other"] == {"instances": 3, "cores": 1 + 2 + 3, "ram": 300}


def test_deleted_projects_are_left_out_and_other_exists_when_nothing_is_left() -> None:
    gone = _usage("gone", instances=2, cores=2)
    gone.project_deleted = True

    labelled = cloud_metrics.top_projects([gone], {}, top=2)

    assert labelled == {"other": {"instances": 0, "cores": 0, "ram": 0}}


async def test_refresh_publishes_usage_by_project_name_and_drops_projects_that_left(
    store: Store,
) -> None:
    await store.projects.create("id-blue", ident.Project(id="id-blue", name="blue"))
    await store.quota_usage.create("id-blue", _usage("id-blue", instances=2, cores=4, ram=1024))
    gauges = cloud_metrics.QuotaGauges(store, interval_seconds=60)

    await gauges.refresh()
    assert _in_use("blue", "instances") == 2
    assert _in_use("blue", "cores") == 4
    assert _in_use("blue", "ram") == 1024

    await store.quota_usage.delete("id-blue")
    await gauges.refresh()
    assert _in_use("blue", "cores") is None
    assert _in_use("other", "cores") == 0


def _bucket(le: str) -> float:
    return (
        REGISTRY.get_sample_value("stratus_conductor_build_to_active_seconds_bucket", {"le": le})
        or 0.0
    )


def test_time_to_active_is_observed_from_the_servers_creation() -> None:
    created = Timestamp()
    created.FromSeconds(1_000)
    below_5s, below_2_5s = _bucket("5.0"), _bucket("2.5")

    cloud_metrics.became_active(t.Instance(id="i", created_at=created), now=1_003.0)

    assert _bucket("5.0") == below_5s + 1  # three seconds: in the 5 s bucket,
    assert _bucket("2.5") == below_2_5s  # not in the 2.5 s one

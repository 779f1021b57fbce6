"""Quota arithmetic, Nova's wording, and the quota routes' shapes over a recording api."""

from __future__ import annotations

import httpx
import pytest
from rest_fakes import FakeComputeApi

from services.api import quotas
from services.runtime.errors import InvalidArgument, QuotaExceeded
from services.state.quotas import added, charge_of
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t

TINY = {"instances": 1, "cores": 1, "ram": 512}


def test_nova_words_an_exceeded_quota() -> None:
    message = quotas.exceeded_message(
        ["instances"], {"instances": 1}, {"instances": 10}, {"instances": 10}
    )
    assert message == (
        "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"
    )


def test_several_exceeded_resources_are_joined_in_order_of_name() -> None:
    error = quotas.over_quota(
        {"instances": 10, "cores": 4, "ram": 51200},
        {"instances": 10, "cores": 4, "ram": 0},
        {"instances": 1, "cores": 2, "ram": 512},
        1,
        1,
    )
    assert isinstance(error, QuotaExceeded)
    assert error.message == (
        "Quota exceeded for cores, instances: Requested 2, 1, but already used 4, 10 of "
        "4, 10 cores, instances"
    )


def test_a_range_request_is_shown_as_a_range() -> None:
    error = quotas.over_quota({"instances": 3}, {"instances": 2}, {"instances": 1}, 2, 5)
    assert error.message == (
        "Quota exceeded for instances: Requested 2-5, but already used 2 of 3 instances"
    )


@pytest.mark.parametrize(
    ("limits", "in_use", "wanted", "fit"),
    [
        ({"instances": 10, "cores": 20, "ram": 51200}, {}, 5, 5),
        ({"instances": 10, "cores": 20, "ram": 51200}, {"instances": 8}, 5, 2),
        ({"instances": 10, "cores": 3, "ram": 51200}, {}, 5, 3),
        ({"instances": 10, "cores": 20, "ram": 1024}, {}, 5, 2),
        ({"instances": -1, "cores": -1, "ram": -1}, {"instances": 10**6}, 7, 7),
        ({"instances": 2, "cores": 20, "ram": 51200}, {"instances": 5}, 1, 0),
    ],
)
def test_as_many_servers_fit_as_every_limit_allows(
    limits: dict[str, int], in_use: dict[str, int], wanted: int, fit: int
) -> None:
    assert quotas.servers_that_fit(limits, in_use, TINY, wanted) == fit


def test_limits_must_be_known_integers_from_minus_one() -> None:
    assert quotas.check_limits({"instances": -1, "cores": 0}) == {"instances": -1, "cores": 0}
    with pytest.raises(InvalidArgument, match="Bad key"):
        quotas.check_limits({"wings": 2})
    with pytest.raises(InvalidArgument, match="must be -1"):
        quotas.check_limits({"instances": -2})


def test_the_quota_set_is_complete() -> None:
    for resource in (
        "instances",
        "cores",
        "ram",
        "server_groups",
        "server_group_members",
        "volumes",
        "gigabytes",
        "floating_ips",
        "security_groups",
        "security_group_rules",
        "key_pairs",
        "metadata_items",
        "injected_files",
    ):
        assert resource in quotas.DEFAULT_LIMITS


def test_a_server_is_charged_its_flavor_and_released_to_zero() -> None:
    instance = t.Instance(id="i", project_id="p", flavor=t.Flavor(vcpus=2, ram_mb=2048))
    charge = charge_of(instance)
    assert dict(charge.amounts) == {"instances": 1, "cores": 2, "ram": 2048}
    usage = added(compute_pb2.QuotaUsage(project_id="p"), charge.amounts)
    assert dict(usage.in_use) == {"instances": 1, "cores": 2, "ram": 2048}
    back = added(usage, charge.amounts, -1)
    assert dict(back.in_use) == {"instances": 0, "cores": 0, "ram": 0}
    assert added(back, charge.amounts, -1).in_use["instances"] == 0  # never below zero


# ---------------------------------------------------------------------------- REST


async def test_show_answers_novas_quota_set(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    reply = await client.get("/v2.1/os-quota-sets/demo")
    assert reply.status_code == 200
    assert reply.json() == {"quota_set": {"id": "demo", "cores": 20, "instances": 10, "ram": 51200}}
    assert compute.last("get_quota_set") == ("demo",)


async def test_detail_shows_in_use_limit_and_reserved(client: httpx.AsyncClient) -> None:
    reply = await client.get("/v2.1/os-quota-sets/demo/detail")
    assert reply.status_code == 200
    assert reply.json()["quota_set"]["instances"] == {"in_use": 2, "limit": 10, "reserved": 0}
    assert reply.json()["quota_set"]["id"] == "demo"


async def test_defaults_answer_a_quota_set(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    reply = await client.get("/v2.1/os-quota-sets/demo/defaults")
    assert reply.status_code == 200
    assert reply.json()["quota_set"]["id"] == "demo"
    assert compute.last("get_quota_defaults") == ("demo",)


async def test_update_takes_integers_or_digit_strings_and_force(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    reply = await client.put(
        "/v2.1/os-quota-sets/demo",
        json={"quota_set": {"instances": 50, "cores": "-1", "force": True}},
    )
    assert reply.status_code == 200, reply.text
    assert compute.last("update_quota_set") == ("demo", {"instances": 50, "cores": -1}, True)
    assert "id" not in reply.json()["quota_set"]
    assert reply.json()["quota_set"]["instances"] == 50


@pytest.mark.parametrize(
    "body",
    [{}, {"quota_set": []}, {"quota_set": {"instances": "many"}}, {"quota_set": {}}],
)
async def test_a_bad_update_is_a_400(client: httpx.AsyncClient, body: object) -> None:
    reply = await client.put("/v2.1/os-quota-sets/demo", json=body)
    assert reply.status_code == 400
    assert list(reply.json()) == ["badRequest"]


async def test_delete_reverts_with_202(client: httpx.AsyncClient, compute: FakeComputeApi) -> None:
    reply = await client.delete("/v2.1/os-quota-sets/demo")
    assert reply.status_code == 202
    assert compute.last("delete_quota_set") == ("demo",)


async def test_limits_answer_novas_shape(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    reply = await client.get("/v2.1/limits")
    assert reply.status_code == 200
    assert reply.json() == {
        "limits": {"rate": [], "absolute": {"maxTotalInstances": 10, "totalInstancesUsed": 2}}
    }
    reply = await client.get("/v2.1/limits?tenant_id=other")
    assert compute.last("get_limits") == ("other",)


async def test_an_exceeded_quota_is_novas_403(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.error = QuotaExceeded(
        "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"
    )
    reply = await client.post(
        "/v2.1/servers", json={"server": {"name": "a", "flavorRef": "1", "imageRef": "i"}}
    )
    assert reply.status_code == 403
    assert reply.json() == {
        "forbidden": {
            "code": 403,
            "message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 "
            "instances",
        }
    }

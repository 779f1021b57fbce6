"""The gateway's flavor access routes: Nova's bodies and answers, and the is_public filter
passed to the service layer as the client wrote it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rest_fakes import FakeComputeApi

from services.api.flavor_access import parse_is_public
from services.runtime.errors import InvalidArgument

ACTION = "/v2.1/flavors/gold/action"


async def test_add_and_remove_answer_the_access_list(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    added = await client.post(ACTION, json={"addTenantAccess": {"tenant": "p1"}})
    assert added.status_code == 200
    assert added.json() == {"flavor_access": [{"flavor_id": "gold", "tenant_id": "p1"}]}
    assert compute.last("add_flavor_access") == ("gold", "p1")

    removed = await client.post(ACTION, json={"removeTenantAccess": {"tenant": "p1"}})
    assert removed.status_code == 200
    assert removed.json() == {"flavor_access": []}
    assert compute.last("remove_flavor_access") == ("gold", "p1")


async def test_the_access_list_route(client: httpx.AsyncClient, compute: FakeComputeApi) -> None:
    compute.flavor_access["gold"] = ["p1", "p2"]
    shown = await client.get("/v2.1/flavors/gold/os-flavor-access")
    assert shown.status_code == 200
    assert shown.json() == {
        "flavor_access": [
            {"flavor_id": "gold", "tenant_id": "p1"},
            {"flavor_id": "gold", "tenant_id": "p2"},
        ]
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "expected a JSON object with one action key"),
        ([], "expected a JSON object with one action key"),
        ({"addTenantAccess": {"tenant": "p"}, "removeTenantAccess": {"tenant": "p"}}, "too many"),
        ({"grantEverything": {"tenant": "p"}}, "There is no such action: grantEverything"),
        ({"addTenantAccess": None}, "is not of type 'object'"),
        ({"addTenantAccess": {}}, "'tenant' is a required property"),
        ({"addTenantAccess": {"tenant": ""}}, "1 to 255 characters"),
        ({"addTenantAccess": {"tenant": "p" * 256}}, "1 to 255 characters"),
        ({"removeTenantAccess": {"tenant": 7}}, "is not of type 'string'"),
        ({"addTenantAccess": {"tenant": "p", "role": "x"}}, "Additional properties"),
    ],
)
async def test_a_malformed_body_is_a_400_and_reaches_nothing(
    client: httpx.AsyncClient, compute: FakeComputeApi, body: Any, message: str
) -> None:
    response = await client.post(ACTION, json=body)
    assert response.status_code == 400
    assert message in response.json()["badRequest"]["message"]
    assert not [c for c in compute.calls if c[0].endswith("flavor_access")]


@pytest.mark.parametrize(
    ("query", "passed"),
    [("", ""), ("?is_public=false", "false"), ("?is_public=none", "none")],
)
async def test_is_public_reaches_the_service_as_written(
    client: httpx.AsyncClient, compute: FakeComputeApi, query: str, passed: str
) -> None:
    assert (await client.get(f"/v2.1/flavors{query}")).status_code == 200
    assert compute.last("list_flavors") == (passed,)


async def test_an_admins_empty_is_public_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2.1/flavors/detail?is_public=")
    assert response.status_code == 400
    assert response.json()["badRequest"]["message"] == "Invalid is_public filter []"


@pytest.mark.parametrize(
    ("value", "meaning"),
    [
        ("", True),
        ("true", True),
        ("T", True),
        ("1", True),
        ("yes", True),
        (" on ", True),
        ("false", False),
        ("F", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("none", None),
        ("None", None),
    ],
)
def test_is_public_parses_as_novas_strict_booleans(value: str, meaning: bool | None) -> None:
    assert parse_is_public(value) is meaning


@pytest.mark.parametrize("value", ["maybe", "2", "nil", "truthy"])
def test_anything_else_is_invalid(value: str) -> None:
    with pytest.raises(InvalidArgument, match=rf"Invalid is_public filter \[{value}\]"):
        parse_is_public(value)

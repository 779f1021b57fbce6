"""How Nova server requests become service-layer calls, and what comes back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rest_fakes import SERVER_ID, FakeComputeApi

from stratus.v1 import types_pb2

BOOT = {"server": {"name": "web", "flavorRef": "1", "imageRef": "img-1"}}


def bad_request(response: httpx.Response) -> str:
    """The message of a Nova 400 fault; fails if the response is anything else."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body) == ["badRequest"]
    assert body["badRequest"]["code"] == 400
    message: str = body["badRequest"]["message"]
    return message


# ---------------------------------------------------------------------------- create


async def test_boot_translates_the_body_and_answers_202_with_nova_keys(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {
        "server": {
            "name": "web",
            "flavorRef": "m1.tiny",
            "imageRef": "img-1",
            "min_count": 2,
            "max_count": "3",
            "metadata": {"role": "web"},
        }
    }
    response = await client.post("/v2.1/servers", json=body)
    assert response.status_code == 202
    (request,) = compute.last("create_servers")
    assert request.name == "web"
    assert request.flavor_ref == "m1.tiny"
    assert request.image_ref == "img-1"
    assert (request.min_count, request.max_count) == (2, 3)
    assert dict(request.metadata) == {"role": "web"}
    assert response.json() == {
        "server": {
            "id": SERVER_ID,
            "links": [
                {"rel": "self", "href": f"http://cloud.example:8774/v2.1/servers/{SERVER_ID}"},
                {"rel": "bookmark", "href": f"http://cloud.example:8774/servers/{SERVER_ID}"},
            ],
            "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": "default"}],
        }
    }
    assert response.headers["location"].endswith(f"/v2.1/servers/{SERVER_ID}")


async def test_counts_default_to_one_server(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    await client.post("/v2.1/servers", json=BOOT)
    (request,) = compute.last("create_servers")
    assert (request.min_count, request.max_count) == (1, 1)


async def test_references_may_be_urls_ending_in_the_id(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {
        "server": {
            "name": "web",
            "flavorRef": "http://cloud.example:8774/flavors/42",
            "imageRef": "http://glance.example/v2/images/img-7",
        }
    }
    await client.post("/v2.1/servers", json=body)
    (request,) = compute.last("create_servers")
    assert (request.flavor_ref, request.image_ref) == ("42", "img-7")


async def test_integer_flavor_ref_is_taken_as_its_id(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    await client.post("/v2.1/servers", json={"server": {"name": "web", "flavorRef": 1}})
    (request,) = compute.last("create_servers")
    assert request.flavor_ref == "1"


async def test_return_reservation_id_answers_with_the_reservation_only(
    client: httpx.AsyncClient,
) -> None:
    body = {"server": {**BOOT["server"], "return_reservation_id": True}}
    response = await client.post("/v2.1/servers", json=body)
    assert response.status_code == 202
    assert response.json() == {"reservation_id": "r-abc"}


async def test_malformed_json_is_a_bad_request(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.post(
        "/v2.1/servers", content=b'{"server": ', headers={"content-type": "application/json"}
    )
    assert "Malformed request body" in bad_request(response)
    assert compute.calls == []


async def test_an_empty_body_is_a_bad_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v2.1/servers", content=b"", headers={"content-type": "application/json"}
    )
    assert "body is empty" in bad_request(response)


async def test_a_non_json_content_type_is_unsupported(client: httpx.AsyncClient) -> None:
    response = await client.post("/v2.1/servers", content=b"name=web")  # no content type
    assert response.status_code == 400  # no JSON media type declared, body not JSON
    response = await client.post(
        "/v2.1/servers", content=b"name=web", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["badMediaType"]["code"] == 415


async def test_missing_server_key_names_it(client: httpx.AsyncClient) -> None:
    response = await client.post("/v2.1/servers", json={"name": "web"})
    assert "'server' is a required property" in bad_request(response)


async def test_a_body_that_is_not_an_object_is_rejected(client: httpx.AsyncClient) -> None:
    assert "expected a JSON object" in bad_request(await client.post("/v2.1/servers", json=[1]))


@pytest.mark.parametrize(
    ("server", "field"),
    [
        ([], "server"),
        ({"name": "web", "flavorRef": "1", "min_count": "x"}, "min_count"),
        ({"name": "web", "flavorRef": "1", "max_count": True}, "max_count"),
        ({"name": "web", "flavorRef": "1", "min_count": 0}, "min_count"),
        ({"name": 7, "flavorRef": "1"}, "name"),
        ({"name": "web", "flavorRef": ["1"]}, "flavorRef"),
        ({"name": "web", "flavorRef": "1", "imageRef": {}}, "imageRef"),
        ({"name": "web", "flavorRef": "1", "metadata": []}, "metadata"),
        ({"name": "web", "flavorRef": "1", "metadata": {"a": 1}}, "metadata.a"),
    ],
)
async def test_wrong_types_name_the_field(
    client: httpx.AsyncClient, compute: FakeComputeApi, server: Any, field: str
) -> None:
    response = await client.post("/v2.1/servers", json={"server": server})
    assert f"field/attribute {field}." in bad_request(response)
    assert compute.calls == []


@pytest.mark.parametrize("missing", ["name", "flavorRef"])
async def test_required_server_keys(client: httpx.AsyncClient, missing: str) -> None:
    server = {"name": "web", "flavorRef": "1"}
    del server[missing]
    response = await client.post("/v2.1/servers", json={"server": server})
    assert f"'{missing}' is a required property" in bad_request(response)


async def test_max_count_below_min_count_is_a_bad_request(client: httpx.AsyncClient) -> None:
    body = {"server": {**BOOT["server"], "min_count": 3, "max_count": 2}}
    assert "min_count" in bad_request(await client.post("/v2.1/servers", json=body))


# ---------------------------------------------------------------------------- list and show


async def test_list_translates_filters(client: httpx.AsyncClient, compute: FakeComputeApi) -> None:
    query = "name=^web&status=active&host=node-1&limit=5&marker=m-1&all_tenants"
    response = await client.get(f"/v2.1/servers?{query}&changes-since=2024-01-02T03:04:05Z")
    assert response.status_code == 200
    (request,) = compute.last("list_servers")
    assert request.name == "^web"
    assert request.status == "ACTIVE"
    assert request.host == "node-1"
    assert (request.limit, request.marker) == (5, "m-1")
    assert request.all_projects is True
    assert request.changes_since.ToJsonString() == "2024-01-02T03:04:05Z"


async def test_changes_since_with_an_offset_is_converted_to_utc(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    await client.get("/v2.1/servers", params={"changes-since": "2024-01-02T05:04:05+02:00"})
    (request,) = compute.last("list_servers")
    assert request.changes_since.ToJsonString() == "2024-01-02T03:04:05Z"


async def test_list_shows_id_name_and_links(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2.1/servers")
    assert response.json() == {
        "servers": [
            {
                "id": SERVER_ID,
                "name": "web-1",
                "links": [
                    {"rel": "self", "href": f"http://cloud.example:8774/v2.1/servers/{SERVER_ID}"},
                    {"rel": "bookmark", "href": f"http://cloud.example:8774/servers/{SERVER_ID}"},
                ],
            }
        ]
    }


async def test_a_next_marker_becomes_a_next_link_with_limit_and_marker(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.next_marker = SERVER_ID
    response = await client.get("/v2.1/servers/detail?limit=1&status=ACTIVE")
    assert response.json()["servers_links"] == [
        {
            "rel": "next",
            "href": "http://cloud.example:8774/v2.1/servers/detail"
            f"?limit=1&status=ACTIVE&marker={SERVER_ID}",
        }
    ]


async def test_no_next_link_on_the_last_page(client: httpx.AsyncClient) -> None:
    assert "servers_links" not in (await client.get("/v2.1/servers/detail")).json()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("changes-since=yesterday", "changes-since"),
        ("status=RUNNING", "Invalid status value 'RUNNING'"),
        ("limit=ten", "limit param must be an integer"),
        ("limit=-1", "limit param must be positive"),
        ("all_tenants=maybe", "all_tenants"),
    ],
)
async def test_bad_query_values_are_bad_requests(
    client: httpx.AsyncClient, compute: FakeComputeApi, query: str, expected: str
) -> None:
    at_2_38 = {"OpenStack-API-Version": "compute 2.38"}
    assert expected in bad_request(await client.get(f"/v2.1/servers?{query}", headers=at_2_38))
    assert compute.calls == []


async def test_an_unknown_status_matches_nothing_before_2_38(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.get("/v2.1/servers?status=RUNNING")
    assert response.json() == {"servers": []}
    assert compute.calls == []


async def test_detail_and_show_give_the_full_server(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    listed = (await client.get("/v2.1/servers/detail")).json()["servers"][0]
    shown = (await client.get(f"/v2.1/servers/{SERVER_ID}")).json()["server"]
    assert listed == shown
    assert shown["status"] == "ACTIVE"
    assert shown["OS-EXT-STS:power_state"] == 1
    assert compute.last("get_server") == (SERVER_ID,)


async def test_delete_answers_204_without_a_body(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.delete(f"/v2.1/servers/{SERVER_ID}")
    assert response.status_code == 204
    assert response.content == b""
    assert compute.last("delete_server") == (SERVER_ID,)


# ---------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("body", "action", "reboot_type"),
    [
        ({"os-stop": None}, "stop", ""),
        ({"os-start": None}, "start", ""),
        ({"reboot": {"type": "HARD"}}, "reboot", "HARD"),
        ({"reboot": {"type": "soft"}}, "reboot", "SOFT"),
        ({"pause": None}, "pause", ""),
        ({"unpause": None}, "unpause", ""),
        ({"suspend": None}, "suspend", ""),
        ({"resume": None}, "resume", ""),
    ],
)
async def test_each_action_key_becomes_a_service_action(
    client: httpx.AsyncClient,
    compute: FakeComputeApi,
    body: dict[str, Any],
    action: str,
    reboot_type: str,
) -> None:
    response = await client.post(f"/v2.1/servers/{SERVER_ID}/action", json=body)
    assert response.status_code == 202
    assert response.content == b""
    assert compute.last("server_action") == (SERVER_ID, action, reboot_type)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"os-migrate": None}, "There is no such action: os-migrate"),
        ({"os-stop": None, "pause": None}, "too many body keys"),
        ({}, "one action key"),
        ({"reboot": {}}, "'type' is a required property"),
        ({"reboot": None}, "field/attribute reboot."),
        ({"reboot": {"type": "GENTLE"}}, "field/attribute type."),
    ],
)
async def test_malformed_actions_are_bad_requests(
    client: httpx.AsyncClient, compute: FakeComputeApi, body: dict[str, Any], expected: str
) -> None:
    response = await client.post(f"/v2.1/servers/{SERVER_ID}/action", json=body)
    assert expected in bad_request(response)
    assert compute.calls == []


# ---------------------------------------------------------------------------- action log


def action(request_id: str, seconds: int) -> types_pb2.InstanceAction:
    message = types_pb2.InstanceAction(
        instance_id=SERVER_ID, request_id=request_id, action="stop", user_id="alice"
    )
    message.start_time.FromSeconds(seconds)
    return message


async def test_instance_actions_list_and_show(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.actions = [action("req-1", 100), action("req-2", 200)]
    listed = (await client.get(f"/v2.1/servers/{SERVER_ID}/os-instance-actions")).json()
    assert [a["request_id"] for a in listed["instanceActions"]] == ["req-2", "req-1"]
    shown = await client.get(f"/v2.1/servers/{SERVER_ID}/os-instance-actions/req-1")
    assert shown.json()["instanceAction"]["request_id"] == "req-1"
    (event,) = shown.json()["instanceAction"]["events"]
    assert (event["event"], event["start_time"]) == (
        "compute_stop_instance",
        "1970-01-01T00:01:40.000000",
    )


async def test_an_unknown_action_record_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v2.1/servers/{SERVER_ID}/os-instance-actions/req-x")
    assert response.status_code == 404
    assert response.json()["itemNotFound"]["message"] == "Action req-x could not be found."

"""Every failure comes out as Nova's fault JSON, and every answer carries the request id."""

from __future__ import annotations

import grpc
import httpx
import pytest
import structlog
from rest_fakes import SERVER_ID, FakeComputeApi

from services.api.rest import create_app, errors
from services.runtime.context import RequestContext
from services.runtime.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    StratusError,
    Unauthenticated,
    Unavailable,
)


@pytest.mark.parametrize(
    ("error", "status", "name"),
    [
        (InvalidArgument("bad name"), 400, "badRequest"),
        (Unauthenticated("no token"), 401, "unauthorized"),
        (PermissionDenied("not yours"), 403, "forbidden"),
        (QuotaExceeded("Quota exceeded for instances"), 403, "forbidden"),
        (NotFound("Instance x could not be found."), 404, "itemNotFound"),
        (
            Conflict("Cannot 'stop' instance while it is in vm_state stopped"),
            409,
            "conflictingRequest",
        ),
        (AlreadyExists("Flavor m1.tiny already exists."), 409, "conflictingRequest"),
        (Unavailable("conductor unreachable"), 503, "serviceUnavailable"),
    ],
)
async def test_service_errors_map_to_nova_faults(
    client: httpx.AsyncClient,
    compute: FakeComputeApi,
    error: StratusError,
    status: int,
    name: str,
) -> None:
    compute.error = error
    response = await client.get(f"/v2.1/servers/{SERVER_ID}")
    assert response.status_code == status
    assert response.json() == {name: {"code": status, "message": error.message}}


def test_fault_names_follow_nova_table() -> None:
    assert errors.fault_body(405, "no") == {"badMethod": {"code": 405, "message": "no"}}
    assert errors.fault_body(500, "boom") == {"computeFault": {"code": 500, "message": "boom"}}
    assert errors.http_status(StratusError("internal")) == 500


async def test_an_unexpected_exception_is_a_compute_fault_without_a_traceback(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.error = RuntimeError("secret internals")
    with structlog.testing.capture_logs() as logs:
        response = await client.get("/v2.1/servers")
    assert response.status_code == 500
    fault = response.json()["computeFault"]
    assert fault["code"] == 500
    assert response.headers["x-openstack-request-id"] in fault["message"]
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    (entry,) = logs
    assert entry["event"] == "rest_request_failed"
    assert entry["log_level"] == "error"
    assert entry["path"] == "/v2.1/servers"


async def test_an_internal_service_error_is_a_compute_fault(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.error = StratusError("etcd said no")
    with structlog.testing.capture_logs():
        response = await client.get("/v2.1/servers")
    assert response.status_code == 500
    assert list(response.json()) == ["computeFault"]


async def test_an_unknown_route_is_item_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2.1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {
        "itemNotFound": {"code": 404, "message": "The resource could not be found."}
    }


async def test_a_wrong_method_is_bad_method(client: httpx.AsyncClient) -> None:
    response = await client.put("/v2.1/servers")
    assert response.status_code == 405
    assert response.json()["badMethod"]["code"] == 405


async def test_every_answer_carries_the_request_id_twice(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/v2.1/servers"), await client.get("/nowhere")):
        request_id = response.headers["x-openstack-request-id"]
        assert request_id.startswith("req-")
        assert response.headers["x-compute-request-id"] == request_id


async def test_the_client_request_id_is_used_and_reaches_the_service(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.get("/v2.1/servers", headers={"X-Openstack-Request-Id": "req-mine-1"})
    assert response.headers["x-openstack-request-id"] == "req-mine-1"
    assert compute.calls[-1][1].request_id == "req-mine-1"


async def test_a_request_id_with_unsafe_characters_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2.1/servers", headers={"X-Openstack-Request-Id": "a b<c>"})
    assert response.headers["x-openstack-request-id"] != "a b<c>"


async def test_a_context_factory_error_becomes_its_fault(compute: FakeComputeApi) -> None:
    def refuse(request: object) -> RequestContext:
        raise Unauthenticated("The request you have made requires authentication.")

    app = create_app(compute, refuse)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as http:
        response = await http.get("/v2.1/servers")
    assert response.status_code == 401
    assert list(response.json()) == ["unauthorized"]
    assert response.headers["x-openstack-request-id"].startswith("req-")
    assert compute.calls == []


async def test_an_async_context_factory_is_awaited(compute: FakeComputeApi) -> None:
    async def member(request: object) -> RequestContext:
        return RequestContext(request_id="req-async", roles=("member",))

    app = create_app(compute, member)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as http:
        shown = (await http.get(f"/v2.1/servers/{SERVER_ID}")).json()["server"]
    assert compute.calls[-1][1].request_id == "req-async"
    assert "OS-EXT-SRV-ATTR:host" not in shown  # not an admin


async def test_compute_answers_state_their_microversion(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2.1/flavors")
    assert response.headers["openstack-api-version"] == "compute 2.1"
    assert response.headers["x-openstack-nova-api-version"] == "2.1"


@pytest.mark.parametrize("header", ["compute 2.1", "compute latest"])
async def test_served_microversions_are_accepted(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/v2.1/flavors", headers={"OpenStack-API-Version": header})
    assert response.status_code == 200


async def test_a_newer_microversion_is_not_acceptable(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2.1/flavors", headers={"OpenStack-API-Version": "compute 2.101"})
    assert response.status_code == 406
    assert "Version 2.101 is not supported" in response.json()["computeFault"]["message"]


async def test_a_malformed_microversion_is_a_bad_request(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2.1/flavors", headers={"X-OpenStack-Nova-API-Version": "two"})
    assert response.status_code == 400
    assert "invalid format" in response.json()["badRequest"]["message"]


async def test_an_unconverted_grpc_error_is_mapped_by_its_code(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.error = grpc.aio.AioRpcError(
        grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), grpc.aio.Metadata(), details="gone"
    )
    response = await client.get(f"/v2.1/servers/{SERVER_ID}")
    assert response.status_code == 404
    assert response.json() == {"itemNotFound": {"code": 404, "message": "gone"}}

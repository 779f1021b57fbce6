"""The REST gateway fuzzed from its own OpenAPI document, against a real cloud.

Schemathesis generates requests for every operation the served document lists, both ones
that fit the documented schemas and ones that do not, sends them as the bootstrap admin,
and checks each answer: never a 5xx, a status the operation documents, the content type
it documents (none for a 202 or 204 without a body) and a body of the documented shape.
A second pass aims the compute operations at resources that exist (a running server, a
flavor, an aggregate, a server group, ...), so the answers of success are checked too,
not only the 404s of random ids.

Bounded: a few examples per operation and mode, derandomized (the same requests on every
run), duplicate mounts of the same handlers fuzzed once; the whole run takes well under two
minutes. A failure names the operation and the curl command that reproduces it.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import grpc
import httpx
import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from stratus.v1 import compute_pb2, compute_pb2_grpc, types_pb2
from tests.integration.cloud import Cloud
from tests.integration.helpers import Stub
from tests.integration.test_bad_grpc import stored_state

EXAMPLES_PER_OPERATION = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
POSITIVE = schemathesis.GenerationMode.POSITIVE
NEGATIVE = schemathesis.GenerationMode.NEGATIVE
# Operations that would end the run's own session: revoking a token (the admin's, when the
# generated request names none) would answer every later request with 401.
SESSION_ENDING = {("DELETE", "/v3/auth/tokens"), ("DELETE", "/identity/v3/auth/tokens")}
# The same handlers mounted again under another prefix: fuzzed once, under the first.
ALIASES = (("/v3/", "/identity/v3/"), ("/image/v2/", "/v2/"))
_PATH_PARAMETER = re.compile(r"{(\w+)}")


def served_document(cloud: Cloud) -> dict[str, Any]:
    response = httpx.get(
        f"{cloud.rest_url}/openapi.json",
        headers={"X-Auth-Token": cloud.admin.token},
        timeout=30,
    )
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def fuzzed_operations(document: dict[str, Any]) -> list[schemathesis.APIOperation]:
    """The operations of the document, each handler once, none that ends the session."""
    schema = schemathesis.openapi.from_dict(document)
    paths = set(document["paths"])
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SESSION_ENDING:
            continue
        if any(
            operation.path.startswith(alias) and original + operation.path[len(alias) :] in paths
            for alias, original in ALIASES
        ):
            continue
        operations.append(operation)
    return operations


def fuzz_operation(
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
    base_url: str,
    headers: dict[str, str],
    path_parameters: dict[str, str] | None = None,
) -> str:
    """ "" when every generated request of `operation` passes the checks, else the first
    failure and the curl command that reproduces it."""
    failures: list[str] = []
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @given(case=strategy)
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    def run(case: schemathesis.Case) -> None:
        if failures:
            return
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
        except (Exception, BaseExceptionGroup) as failure:  # failed checks, transport errors
            curl = case.as_curl_command(headers=headers)
            failures.append(
                f"{operation.method.upper()} {operation.path} ({mode}): {failure}\n{curl}"
            )

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing of the operation can be made invalid (no parameters, no body)
    return failures[0] if failures else ""


def existing_resources(cloud: Cloud, headers: dict[str, str]) -> dict[str, str]:
    """A running server (tagged, with an action record), a flavor with an extra spec, an
    aggregate, a server group and a host: their ids by the path parameter that names them."""
    with grpc.insecure_channel(cloud.api_target) as channel:
        compute_pb2_grpc.ComputeStub(channel).CreateImage(
            compute_pb2.CreateImageRequest(image=types_pb2.Image(id="fuzz", name="fuzz")),
            metadata=[("x-auth-token", cloud.admin.token)],
            timeout=10,
        )
    compute = f"{cloud.rest_url}/v2.1"
    latest = {**headers, "OpenStack-API-Version": "compute 2.90"}
    with httpx.Client(headers=latest, timeout=30) as http:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = http.post(f"{compute}{path}", json=body)
            assert response.status_code in (200, 201, 202), response.text
            document: dict[str, Any] = response.json()
            return document

        flavor = post(
            "/flavors", {"flavor": {"name": "fuzz", "id": "fuzz", "ram": 64, "vcpus": 1, "disk": 1}}
        )["flavor"]["id"]
        post(f"/flavors/{flavor}/os-extra_specs", {"extra_specs": {"fuzz:key": "1"}})
        aggregate = post("/os-aggregates", {"aggregate": {"name": "fuzz"}})["aggregate"]["id"]
        group = post(
            "/os-server-groups", {"server_group": {"name": "fuzz", "policy": "anti-affinity"}}
        )["server_group"]["id"]
        server = post(
            "/servers",
            {
                "server": {
                    "name": "fuzz",
                    "flavorRef": flavor,
                    "imageRef": "fuzz",
                    "networks": "none",
                    "tags": ["fuzz"],
                }
            },
        )["server"]["id"]
        deadline = time.monotonic() + 60
        while http.get(f"{compute}/servers/{server}").json()["server"]["status"] != "ACTIVE":
            assert time.monotonic() < deadline, "the fuzzed server did not become ACTIVE"
            time.sleep(0.2)
        actions = http.get(f"{compute}/servers/{server}/os-instance-actions").json()
        hypervisors = http.get(f"{compute}/os-hypervisors").json()["hypervisors"]
    return {
        "server_id": server,
        "flavor_id": flavor,
        "key": "fuzz:key",
        "tag": "fuzz",
        "aggregate_id": str(aggregate),
        "group_id": group,
        "image_id": "fuzz",
        "hypervisor_id": str(hypervisors[0]["id"]),
        "request_id": actions["instanceActions"][0]["request_id"],
        "project_id": cloud.admin.info.project_id,
    }


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("get", "/identity", "300", True),
        ("post", "/v3/projects", "201", True),
        ("post", "/v3/auth/tokens", "201", True),
        ("delete", "/v3/projects/{project_id}", "204", False),
        ("put", "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}", "204", False),
        ("head", "/v3/auth/tokens", "200", False),
    ],
)
def test_identity_answers_of_success_are_documented_as_sent(
    cloud: Cloud, method: str, path: str, status: str, body: bool
) -> None:
    responses = served_document(cloud)["paths"][path][method]["responses"]
    assert status in responses
    assert bool(responses[status].get("content")) == body


def test_a_deleted_project_is_a_204_without_a_content_type(cloud: Cloud) -> None:
    headers = {"X-Auth-Token": cloud.admin.token}
    with httpx.Client(base_url=cloud.rest_url, headers=headers, timeout=30) as http:
        created = http.post("/v3/projects", json={"project": {"name": "fuzz-deleted"}})
        assert created.status_code == 201
        deleted = http.delete(f"/v3/projects/{created.json()['project']['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert "content-type" not in deleted.headers


def _boot(hints: dict[str, Any] | None = None, **server: Any) -> bytes:
    body: dict[str, Any] = {"server": {"name": "ok", "flavorRef": "1", "imageRef": "cirros"}}
    body["server"].update(server)
    if hints is not None:
        body["os:scheduler_hints"] = hints
    return json.dumps(body).encode()


def _flavor(**fields: Any) -> bytes:
    flavor = {"name": "bad", "ram": 64, "vcpus": 1, "disk": 1, **fields}
    return json.dumps({"flavor": flavor}).encode()


DEEP = b"[" * 10_000 + b"]" * 10_000
SERVERS = "/v2.1/servers"
FLAVORS = "/v2.1/flavors"
NAN_FLAVOR = _flavor().replace(b'"disk": 1', b'"disk": 1, "rxtx_factor": NaN')
HUGE_QUOTA = b'{"quota_set": {"cores": 99999999999999999999}}'
BEFORE_YEAR_ONE = "changes-since=0001-01-01T00:00:00%2B01:00"

# Requests the issue of hostile input named, each as the bytes a client sends.
HOSTILE_REQUESTS = [
    ("body nested 10,000 deep", "POST", SERVERS, DEEP),
    ("identity body nested 10,000 deep", "POST", "/v3/projects", DEEP),
    ("unpaired surrogate in a name", "POST", SERVERS, _boot(name="web\ud800")),
    ("unpaired surrogate in a metadata key", "POST", SERVERS, _boot(metadata={"k\udc00": "v"})),
    (
        "unpaired surrogate in a project name",
        "POST",
        "/v3/projects",
        b'{"project": {"name": "\\ud800"}}',
    ),
    ("control character in a name", "POST", SERVERS, _boot(name="web\u0007")),
    ("control character in a metadata key", "POST", SERVERS, _boot(metadata={"k\u0001": "v"})),
    (
        "hint query nested 3,000 deep",
        "POST",
        SERVERS,
        _boot(hints={"query": "[" * 3000 + "]" * 3000}),
    ),
    ("flavor ram beyond int32", "POST", FLAVORS, _flavor(ram=2**31)),
    ("flavor swap of 5,000 digits", "POST", FLAVORS, _flavor(swap="9" * 5000)),
    ("NaN rxtx_factor", "POST", FLAVORS, NAN_FLAVOR),
    ("infinite rxtx_factor", "POST", FLAVORS, _flavor(rxtx_factor=1e300)),
    ("quota beyond int32", "PUT", "/v2.1/os-quota-sets/some-project", HUGE_QUOTA),
    ("page size beyond int32", "GET", f"{SERVERS}?limit=2147483648", b""),
    ("reboot of a string", "POST", f"{SERVERS}/no-such-server/action", b'{"reboot": "x"}'),
    ("changes-since before year 1 in UTC", "GET", f"{SERVERS}?{BEFORE_YEAR_ONE}", b""),
]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [(method, path, body) for _, method, path, body in HOSTILE_REQUESTS],
    ids=[case for case, _, _, _ in HOSTILE_REQUESTS],
)
async def test_hostile_requests_are_400s_that_change_nothing(
    cloud: Cloud, seeded: Stub, method: str, path: str, body: bytes
) -> None:
    before = stored_state(cloud)
    assert before, "the seeded flavors, image and quota are in the listing"
    headers = {"X-Auth-Token": cloud.admin.token, "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=cloud.rest_url, headers=headers, timeout=30) as http:
        response = await http.request(method, path, content=body or None)
    assert response.status_code == 400, response.text
    fault = next(iter(response.json().values()))
    assert fault["code"] == 400 and fault["message"]
    assert stored_state(cloud) == before


@pytest.mark.timeout(300)
def test_the_gateway_answers_every_generated_request_as_documented(cloud: Cloud) -> None:
    headers = {"X-Auth-Token": cloud.admin.token}
    operations = fuzzed_operations(served_document(cloud))
    assert len(operations) > 50, "the served document lists the gateway's operations"
    failures = []
    for operation in operations:
        for mode in (POSITIVE, NEGATIVE):
            failures.append(fuzz_operation(operation, mode, cloud.rest_url, headers))
    # Identity operations keep random ids: aimed at the admin they could lock the run out.
    existing = existing_resources(cloud, headers)
    for operation in sorted(operations, key=lambda op: op.method.upper() == "DELETE"):
        names = _PATH_PARAMETER.findall(operation.path)
        if not operation.path.startswith("/v2.1/") or not names:
            continue
        if not all(name in existing for name in names):
            continue
        aimed = {name: existing[name] for name in names}
        failures.append(fuzz_operation(operation, POSITIVE, cloud.rest_url, headers, aimed))
    found = [failure for failure in failures if failure]
    assert not found, f"{len(found)} operations answered against their documentation:\n" + (
        "\n\n".join(found)
    )

"""Identity against a real etcd: tokens, revocation across processes, Keystone's REST shapes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest
from fastapi import FastAPI

from services.api.identity import auth, grpc_service, tokens
from services.api.identity.bootstrap import ensure_bootstrap
from services.api.identity.rest import router_for
from services.api.identity.service import SYSTEM_SCOPE, IdentityApi
from services.api.identity.tokens import TokenManager
from services.runtime.context import RequestContext
from services.runtime.errors import PermissionDenied, Unauthenticated
from services.runtime.grpc_server import start_server
from services.state import keys
from services.state.store import Store
from stratus.v1 import identity_pb2 as ident
from stratus.v1 import identity_pb2_grpc
from tests.waiting import eventually

ADMIN_PASSWORD = "admin-secret"
BASE = "http://stratus.test"
ADMIN = RequestContext(user_id="test", project_id="", roles=("admin",))


@pytest.fixture
async def manager(store: Store) -> AsyncIterator[TokenManager]:
    tm = TokenManager(store.etcd)
    await tm.start()
    yield tm
    await tm.stop()


@pytest.fixture
async def identity(store: Store, manager: TokenManager) -> IdentityApi:
    await ensure_bootstrap(store, ADMIN_PASSWORD)
    return IdentityApi(store, manager)


@pytest.fixture
async def client(identity: IdentityApi, manager: TokenManager) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(router_for(identity, manager))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


def password_auth(user: str, password: Any, project: str | None = "admin") -> dict[str, Any]:
    body: dict[str, Any] = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            }
        }
    }
    if project is not None:
        body["auth"]["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    return body


async def login(http: httpx.AsyncClient, user: str, password: str, project: str = "admin") -> str:
    response = await http.post("/v3/auth/tokens", json=password_auth(user, password, project))
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


# --- tokens -------------------------------------------------------------------------------------


async def test_issue_validate_and_revoke(manager: TokenManager) -> None:
    issued = manager.issue("u1", "alice", "p1", "proj", ["member"], ["password"])
    payload = manager.validate(issued.token)
    assert payload == issued.payload
    assert payload.expires_at - payload.issued_at == pytest.approx(3600)
    ctx = auth.context_from_token(manager, issued.token, "req-1")
    assert (ctx.user_id, ctx.project_id, ctx.roles) == ("u1", "p1", ("member",))

    await manager.revoke(issued.token)
    with pytest.raises(Unauthenticated, match="token revoked"):
        manager.validate(issued.token)


async def test_tampered_token_is_invalid(manager: TokenManager) -> None:
    token = manager.issue("u1", "alice", "p1", "proj", ["member"], ["password"]).token
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (flipped, token[:-4], token + "x", "", "not a token", "é" * 10, "A" * 10_000):
        with pytest.raises(Unauthenticated, match="token is invalid"):
            manager.validate(bad)


async def test_expired_token_is_refused(store: Store) -> None:
    now = [1_000_000.0]
    tm = TokenManager(store.etcd, lifetime_seconds=60, clock=lambda: now[0])
    await tm.start()
    try:
        token = tm.issue("u1", "alice", "p1", "proj", ["member"], ["password"]).token
        now[0] += 59
        tm.validate(token)
        now[0] += 1
        with pytest.raises(Unauthenticated, match="token expired"):
            tm.validate(token)
    finally:
        await tm.stop()


async def test_unscoped_token_is_refused_by_compute(manager: TokenManager) -> None:
    token = manager.issue("u1", "alice", None, "", [], ["password"]).token
    assert manager.validate(token).project_id is None
    with pytest.raises(Unauthenticated, match="not scoped"):
        auth.context_from_token(manager, token, "req-1")
    with pytest.raises(Unauthenticated):
        auth.context_from_token(manager, "", "req-1")


async def test_revocation_reaches_another_service_within_seconds(
    store: Store, manager: TokenManager
) -> None:
    other = TokenManager(store.etcd)  # another process's manager, same etcd
    await other.start()
    try:
        issued = manager.issue("u1", "alice", "p1", "proj", ["member"], ["password"])
        other.validate(issued.token)  # same keys: validated without asking etcd

        def refused() -> bool:
            try:
                other.validate(issued.token)
            except Unauthenticated as exc:
                return exc.message == tokens.TOKEN_REVOKED
            return False

        started = time.monotonic()
        await manager.revoke(issued.payload)
        await eventually(refused, within_seconds=2.0)
        assert time.monotonic() - started < 2.0

        # A user-wide revocation: every earlier token of the user, in every project.
        second = manager.issue("u2", "bob", "p1", "proj", ["member"], ["password"])
        other_project = manager.issue("u2", "bob", "p2", "proj2", ["member"], ["password"])
        await manager.revoke_user("u2")
        for token in (second.token, other_project.token):
            await eventually(lambda t=token: _refused(other, t), within_seconds=2.0)
        await asyncio.sleep(0.01)
        fresh = manager.issue("u2", "bob", "p1", "proj", ["member"], ["password"])
        other.validate(fresh.token)
    finally:
        await other.stop()


def _refused(manager: TokenManager, token: str) -> bool:
    try:
        manager.validate(token)
    except Unauthenticated:
        return True
    return False


async def test_revocations_live_under_a_lease(store: Store, manager: TokenManager) -> None:
    issued = manager.issue("u1", "alice", "p1", "proj", ["member"], ["password"])
    await manager.revoke(issued.payload)
    kvs, _ = await store.etcd.list(keys.REVOCATIONS)
    assert len(kvs) == 1 and kvs[0].lease != 0


async def test_keys_are_created_once(store: Store) -> None:
    managers = [TokenManager(store.etcd) for _ in range(4)]
    await asyncio.gather(*(m.start() for m in managers))
    try:
        kvs, _ = await store.etcd.list(keys.FERNET_KEYS)
        assert [kv.key.rsplit("/", 1)[-1] for kv in kvs] == ["0", "1"]
        token = managers[0].issue("u", "n", "p", "pn", ["member"], ["password"]).token
        for m in managers:
            m.validate(token)
    finally:
        for m in managers:
            await m.stop()


async def test_rotation_keeps_old_tokens_until_their_key_is_dropped(
    store: Store, manager: TokenManager
) -> None:
    other = TokenManager(store.etcd)
    await other.start()
    try:
        old = manager.issue("u1", "alice", "p1", "proj", ["member"], ["password"]).token
        assert await tokens.rotate(store.etcd, max_active_keys=3) == 2

        def rotated(m: TokenManager) -> bool:
            return m._keys is not None and "2" in m._keys.items

        # Once the issuer has seen the rotation it signs with key 2; `other` accepts that at
        # once, seen or not: the new primary was the staged key every manager already had.
        await eventually(lambda: rotated(manager), within_seconds=2.0)
        new = manager.issue("u1", "alice", "p1", "proj", ["member"], ["password"]).token
        other.validate(new)
        await eventually(lambda: rotated(other), within_seconds=2.0)
        other.validate(old)  # key 1 is a secondary now
        manager.validate(old)

        assert await tokens.rotate(store.etcd, max_active_keys=3) == 3  # drops key 1
        kvs, _ = await store.etcd.list(keys.FERNET_KEYS)
        assert sorted(kv.key.rsplit("/", 1)[-1] for kv in kvs) == ["0", "2", "3"]
        for m in (manager, other):
            await eventually(lambda m=m: _refused(m, old), within_seconds=2.0)
            m.validate(new)
    finally:
        await other.stop()


# --- the service layer ----------------------------------------------------------------------


async def test_bootstrap_is_idempotent(store: Store, identity: IdentityApi) -> None:
    user, project = await ensure_bootstrap(store, "another password")
    again_user, again_project = await ensure_bootstrap(store, "another password")
    assert (user.id, project.id) == (again_user.id, again_project.id)
    result = await identity.authenticate(
        user_name="admin", password=ADMIN_PASSWORD, project_name="admin"
    )
    assert set(result.issued.payload.roles) == {"admin", "member"}
    assert result.issued.payload.project_id == project.id


async def test_project_manager_adds_members_to_their_project_only(
    identity: IdentityApi,
) -> None:
    mine = await identity.create_project(ADMIN, "mine")
    theirs = await identity.create_project(ADMIN, "theirs")
    manager_user = await identity.create_user(ADMIN, "pm", "pm-password")
    dev = await identity.create_user(ADMIN, "dev", "dev-password")
    await identity.assign_role(ADMIN, mine.id, manager_user.id, "project_manager")

    login = await identity.authenticate(user_name="pm", password="pm-password", project_id=mine.id)
    pm = auth.context_of(login.issued.payload, "req-pm")
    await identity.assign_role(pm, mine.id, dev.id, "member")
    assert await identity.roles_of(dev.id, mine.id) == ["member"]

    with pytest.raises(PermissionDenied, match="project manager"):
        await identity.assign_role(pm, theirs.id, dev.id, "member")
    with pytest.raises(PermissionDenied, match="project manager"):
        await identity.assign_role(pm, SYSTEM_SCOPE, dev.id, "admin")
    with pytest.raises(PermissionDenied, match="only a cloud admin may create users"):
        await identity.create_user(pm, "sneaky", "password")
    await identity.unassign_role(pm, mine.id, dev.id, "member")
    assert await identity.roles_of(dev.id, mine.id) == []


async def test_global_roles_join_every_project_token(identity: IdentityApi) -> None:
    project = await identity.create_project(ADMIN, "audited")
    guard = await identity.create_user(ADMIN, "guard", "guard-password")
    await identity.assign_role(ADMIN, SYSTEM_SCOPE, guard.id, "it_security")
    await identity.assign_role(ADMIN, project.id, guard.id, "member")
    result = await identity.authenticate(
        user_name="guard", password="guard-password", project_name="audited"
    )
    assert result.issued.payload.roles == ("member", "it_security")


async def test_names_are_unique(identity: IdentityApi) -> None:
    await identity.create_project(ADMIN, "dup")
    results = await asyncio.gather(
        *(identity.create_user(ADMIN, "same", "pw") for _ in range(3)), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    with pytest.raises(Exception, match="Duplicate entry"):
        await identity.create_project(ADMIN, "dup")


async def test_password_is_stored_hashed(store: Store, identity: IdentityApi) -> None:
    user = await identity.create_user(ADMIN, "hashed", "plain-secret")
    stored = await store.user_passwords.require(user.id)
    assert stored.message.hash.startswith("scrypt$16384$8$1$")
    kvs, _ = await store.etcd.list("/stratus/")
    assert not any(b"plain-secret" in kv.value for kv in kvs)


# --- REST ---------------------------------------------------------------------------------------


async def test_rest_token_round_trip(client: httpx.AsyncClient) -> None:
    response = await client.post("/v3/auth/tokens", json=password_auth("admin", ADMIN_PASSWORD))
    assert response.status_code == 201
    token = response.headers["X-Subject-Token"]
    body = response.json()["token"]
    assert body["methods"] == ["password"]
    assert body["user"]["name"] == "admin"
    assert body["user"]["domain"] == {"id": "default", "name": "Default"}
    assert body["project"]["name"] == "admin"
    assert {r["name"] for r in body["roles"]} == {"admin", "member"}
    urls = {entry["type"]: entry["endpoints"][0]["url"] for entry in body["catalog"]}
    assert urls == {
        "compute": f"{BASE}/v2.1",
        "identity": f"{BASE}/identity/v3",
        "image": f"{BASE}/image",
    }
    assert body["catalog"][0]["endpoints"][0]["region"] == "RegionOne"

    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    shown = await client.get("/identity/v3/auth/tokens", headers=headers)
    assert shown.status_code == 200
    assert shown.json()["token"]["audit_ids"] == body["audit_ids"]

    assert (await client.delete("/v3/auth/tokens", headers=headers)).status_code == 204
    fresh = await login(client, "admin", ADMIN_PASSWORD)
    gone = await client.get(
        "/v3/auth/tokens", headers={"X-Auth-Token": fresh, "X-Subject-Token": token}
    )
    assert gone.status_code == 404
    assert gone.json()["error"]["title"] == "Not Found"
    refused = await client.get("/v3/projects", headers={"X-Auth-Token": token})
    assert refused.status_code == 401
    assert refused.json() == {
        "error": {"code": 401, "message": "token revoked", "title": "Unauthorized"}
    }


async def test_rest_versions_and_v2(client: httpx.AsyncClient) -> None:
    for path in ("/v3", "/identity/v3"):
        version = (await client.get(path)).json()["version"]
        assert version["status"] == "stable"
        assert version["links"][0]["href"] == f"{BASE}/identity/v3/"
    assert (await client.get("/identity")).status_code == 300

    body = {
        "auth": {
            "passwordCredentials": {"username": "admin", "password": ADMIN_PASSWORD},
            "tenantName": "admin",
        }
    }
    response = await client.post("/v2.0/tokens", json=body)
    assert response.status_code == 200, response.text
    access = response.json()["access"]
    assert access["token"]["tenant"]["name"] == "admin"
    assert access["user"]["name"] == "admin"
    assert {e["type"] for e in access["serviceCatalog"]} == {"compute", "identity", "image"}
    token = access["token"]["id"]
    assert (await client.get("/v3/projects", headers={"X-Auth-Token": token})).status_code == 200


async def test_wrong_password_gives_no_hint(client: httpx.AsyncClient) -> None:
    wrong_password = await client.post("/v3/auth/tokens", json=password_auth("admin", "nope"))
    no_user = await client.post("/v3/auth/tokens", json=password_auth("nobody", "nope"))
    assert wrong_password.status_code == no_user.status_code == 401
    assert wrong_password.json() == no_user.json()
    assert "X-Subject-Token" not in wrong_password.headers


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"auth": null}',
        b'{"auth": "x"}',
        b'{"auth": {}}',
        b'{"auth": {"identity": {"methods": "password"}}}',
        b'{"auth": {"identity": {"methods": ["password"]}}}',
        b'{"auth": {"identity": {"methods": ["password"], "password": {"user": 5}}}}',
        b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": 1}}}}}',
        b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
        b'{"name": "admin", "password": ["x"]}}}}}',
        b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
        b'{"name": "admin", "password": "x"}}}, "scope": {"project": 7}}}',
        b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
        b'{"name": "admin", "password": "x", "domain": "Default"}}}}}',
        b'{"auth": {"identity": {"methods": ["token"], "token": {"id": "x"}}}}',
        b"\xff\xfe\x00",
    ],
)
async def test_bad_auth_bodies_are_refused_cleanly(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/v3/auth/tokens", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 401), response.text
    assert set(response.json()["error"]) == {"code", "message", "title"}


async def test_huge_inputs_are_refused_cleanly(client: httpx.AsyncClient) -> None:
    huge = "x" * 100_000
    for body in (
        password_auth(huge, "pw"),
        password_auth("admin", huge),
        password_auth("admin", ADMIN_PASSWORD, project=huge),
    ):
        response = await client.post("/v3/auth/tokens", json=body)
        assert response.status_code in (400, 401, 413), response.text
    long_password = password_auth("admin", "y" * 5000)
    response = await client.post("/v3/auth/tokens", json=long_password)
    assert response.status_code in (400, 401)
    bad_token = await client.get("/v3/projects", headers={"X-Auth-Token": "z" * 20_000})
    assert bad_token.status_code == 401


async def test_rest_manages_projects_users_and_roles(client: httpx.AsyncClient) -> None:
    admin = {"X-Auth-Token": await login(client, "admin", ADMIN_PASSWORD)}
    created = await client.post("/v3/projects", json={"project": {"name": "web"}}, headers=admin)
    assert created.status_code == 201
    project = created.json()["project"]
    assert project["domain_id"] == "default" and project["enabled"] is True
    duplicate = await client.post("/v3/projects", json={"project": {"name": "web"}}, headers=admin)
    assert duplicate.status_code == 409

    user = (
        await client.post(
            "/v3/users", json={"user": {"name": "carol", "password": "carol-pw"}}, headers=admin
        )
    ).json()["user"]
    assert "password" not in user
    role_path = f"/v3/projects/{project['id']}/users/{user['id']}/roles/member"
    assert (await client.head(role_path, headers=admin)).status_code == 404
    assert (await client.put(role_path, headers=admin)).status_code == 204
    assert (await client.head(role_path, headers=admin)).status_code == 204

    listed = await client.get(
        "/v3/role_assignments",
        params={"user.id": user["id"], "scope.project.id": project["id"]},
        headers=admin,
    )
    assert [a["role"]["id"] for a in listed.json()["role_assignments"]] == ["member"]
    roles = (await client.get("/v3/roles", headers=admin)).json()["roles"]
    assert {r["name"] for r in roles} == {
        "admin",
        "it_security",
        "project_manager",
        "network_manager",
        "member",
    }

    carol = {"X-Auth-Token": await login(client, "carol", "carol-pw", "web")}
    own = await client.get(f"/v3/projects/{project['id']}", headers=carol)
    assert own.status_code == 200
    forbidden = await client.post("/v3/projects", json={"project": {"name": "x"}}, headers=carol)
    assert forbidden.status_code == 403
    assert "only a cloud admin" in forbidden.json()["error"]["message"]

    renamed = await client.patch(
        f"/v3/projects/{project['id']}", json={"project": {"name": "web2"}}, headers=admin
    )
    assert renamed.json()["project"]["name"] == "web2"
    again = await client.post("/v3/projects", json={"project": {"name": "web"}}, headers=admin)
    assert again.status_code == 201  # the old name is free again


async def test_removed_user_loses_access(
    client: httpx.AsyncClient, store: Store, manager: TokenManager
) -> None:
    admin = {"X-Auth-Token": await login(client, "admin", ADMIN_PASSWORD)}
    project = (
        await client.post("/v3/projects", json={"project": {"name": "team"}}, headers=admin)
    ).json()["project"]
    user = (
        await client.post(
            "/v3/users", json={"user": {"name": "dave", "password": "dave-pw"}}, headers=admin
        )
    ).json()["user"]
    role_path = f"/v3/projects/{project['id']}/users/{user['id']}/roles/member"
    await client.put(role_path, headers=admin)
    token = await login(client, "dave", "dave-pw", "team")

    other = TokenManager(store.etcd)
    await other.start()
    try:
        auth.context_from_token(other, token, "req")
        assert (await client.delete(role_path, headers=admin)).status_code == 204
        await eventually(lambda: _refused(other, token), within_seconds=2.0)
        with pytest.raises(Unauthenticated, match="token revoked"):
            manager.validate(token)
        refused = await client.post(
            "/v3/auth/tokens", json=password_auth("dave", "dave-pw", "team")
        )
        assert refused.status_code == 401
    finally:
        await other.stop()


async def test_password_change_revokes_tokens(client: httpx.AsyncClient) -> None:
    admin = {"X-Auth-Token": await login(client, "admin", ADMIN_PASSWORD)}
    user = (
        await client.post(
            "/v3/users", json={"user": {"name": "erin", "password": "old-pw"}}, headers=admin
        )
    ).json()["user"]
    await client.put(f"/v3/system/users/{user['id']}/roles/it_security", headers=admin)
    token = await login(client, "erin", "old-pw")
    changed = await client.patch(
        f"/v3/users/{user['id']}", json={"user": {"password": "new-pw"}}, headers=admin
    )
    assert changed.status_code == 200
    check = await client.get("/v3/projects", headers={"X-Auth-Token": token})
    assert check.status_code == 401
    assert (
        await client.post("/v3/auth/tokens", json=password_auth("erin", "old-pw"))
    ).status_code == 401
    await login(client, "erin", "new-pw")


async def test_project_manager_over_rest(client: httpx.AsyncClient) -> None:
    admin = {"X-Auth-Token": await login(client, "admin", ADMIN_PASSWORD)}

    async def create(kind: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(f"/v3/{kind}s", json={kind: body}, headers=admin)
        assert response.status_code == 201, response.text
        return response.json()[kind]

    alpha = await create("project", {"name": "alpha"})
    beta = await create("project", {"name": "beta"})
    pm = await create("user", {"name": "frank", "password": "frank-pw"})
    dev = await create("user", {"name": "grace", "password": "grace-pw"})
    await client.put(
        f"/v3/projects/{alpha['id']}/users/{pm['id']}/roles/project_manager", headers=admin
    )

    frank = {"X-Auth-Token": await login(client, "frank", "frank-pw", "alpha")}
    ok = await client.put(
        f"/v3/projects/{alpha['id']}/users/{dev['id']}/roles/network_manager", headers=frank
    )
    assert ok.status_code == 204
    denied = await client.put(
        f"/v3/projects/{beta['id']}/users/{dev['id']}/roles/member", headers=frank
    )
    assert denied.status_code == 403
    assert "project manager" in denied.json()["error"]["message"]
    escalate = await client.put(f"/v3/system/users/{pm['id']}/roles/admin", headers=frank)
    assert escalate.status_code == 403


# --- gRPC ------------------------------------------------------------------------------------


async def test_grpc_identity_service(identity: IdentityApi, manager: TokenManager) -> None:
    server = await start_server(
        "127.0.0.1",
        0,
        lambda s: grpc_service.register(s, identity, manager),
        [grpc_service.SERVICE_NAME],
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        stub = identity_pb2_grpc.IdentityStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Authenticate(ident.AuthenticateRequest(user_name="admin", password="x"))
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        reply = await stub.Authenticate(
            ident.AuthenticateRequest(
                user_name="admin", password=ADMIN_PASSWORD, project_name="admin"
            )
        )
        assert reply.info.project_name == "admin" and "admin" in reply.info.roles
        md = [("x-auth-token", reply.token)]
        created = await stub.CreateProject(ident.CreateProjectRequest(name="grpc"), metadata=md)
        listed = await stub.ListProjects(ident.ListProjectsRequest(), metadata=md)
        assert created.id in {p.id for p in listed.projects}
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await stub.ListProjects(ident.ListProjectsRequest())
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        await stub.RevokeToken(ident.RevokeTokenRequest(token=reply.token), metadata=md)
        with pytest.raises(grpc.aio.AioRpcError) as revoked:
            await stub.ListProjects(ident.ListProjectsRequest(), metadata=md)
        assert revoked.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert revoked.value.details() == "token revoked"
    finally:
        await channel.close()
        await server.stop(0)

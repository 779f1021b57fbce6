"""Keystone's REST shapes: `/identity/v3` (canonical) and `/v3`, plus the legacy `/v2.0`.

The routes authenticate on their own (X-Auth-Token, validated locally), so the gateway's
compute context is not needed for them; errors answer in Keystone's JSON:
`{"error": {"code": 401, "message": "...", "title": "Unauthorized"}}`.
"""

from __future__ import annotations

import http
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api.identity.auth import AUTH_TOKEN_HEADER, MISSING, SUBJECT_TOKEN_HEADER
from services.api.identity.bootstrap import REGION
from services.api.identity.service import (
    ALL_ROLES,
    DOMAIN_ID,
    DOMAIN_NAME,
    SYSTEM_SCOPE,
    AuthResult,
    IdentityApi,
    caller_context,
)
from services.api.identity.tokens import TokenManager, TokenPayload
from services.api.rest.errors import ApiError, http_status
from services.api.rest.parsing import decode_json
from services.runtime.context import RequestContext, new_request_id
from services.runtime.errors import StratusError, Unauthenticated
from stratus.v1 import identity_pb2 as ident

log = structlog.get_logger(__name__)

CANONICAL_PREFIX = "/identity/v3"
PREFIXES = (CANONICAL_PREFIX, "/v3")
V2_PREFIXES = ("/identity/v2.0", "/v2.0")
MAX_BODY_BYTES = 64 * 1024
IDENTITY_VERSION = "v3.14"
PASSWORD_METHOD = "password"

# Stable ids of the catalog entries: one service, one public endpoint each.
CATALOG = (
    ("compute", "nova", "/v2.1", "9f5a3b1e6c2d4e8fa0b1c2d3e4f50001"),
    ("identity", "keystone", CANONICAL_PREFIX, "9f5a3b1e6c2d4e8fa0b1c2d3e4f50002"),
    ("image", "glance", "/image", "9f5a3b1e6c2d4e8fa0b1c2d3e4f50003"),
)


class BadRequest(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


# --- errors in Keystone's shape --------------------------------------------------------------


def keystone_error(status: int, message: str) -> JSONResponse:
    try:
        title = http.HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    response = JSONResponse(
        {"error": {"code": status, "message": message, "title": title}}, status_code=status
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Keystone uri="/identity"'
    return response


class KeystoneRoute(APIRoute):
    """A route whose errors answer in Keystone's JSON, whatever the app's handlers say."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except StratusError as exc:
                status = http_status(exc)
                if status == 500:
                    raise
                return keystone_error(status, exc.message)
            except ApiError as exc:
                return keystone_error(exc.status, exc.message)
            except RequestValidationError:
                return keystone_error(400, "The request is not valid.")
            except StarletteHTTPException as exc:
                return keystone_error(exc.status_code, str(exc.detail))

        return handler


# --- shapes ---------------------------------------------------------------------------------


def iso(seconds: float) -> str:
    """Keystone's timestamps: UTC with microseconds and a Z."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def base_url(request: Request) -> str:
    public = getattr(request.app.state, "public_url", "") or ""
    return (public or str(request.base_url)).rstrip("/")


def domain_view() -> dict[str, str]:
    return {"id": DOMAIN_ID, "name": DOMAIN_NAME}


def catalog(base: str) -> list[dict[str, Any]]:
    return [
        {
            "type": kind,
            "name": name,
            "id": service_id,
            "endpoints": [
                {
                    "id": service_id[:-4] + "e" + service_id[-3:],
                    "interface": "public",
                    "region": REGION,
                    "region_id": REGION,
                    "url": base + path,
                }
            ],
        }
        for kind, name, path, service_id in CATALOG
    ]


def token_view(payload: TokenPayload, base: str, *, with_catalog: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "methods": list(payload.methods),
        "user": {
            "id": payload.user_id,
            "name": payload.user_name,
            "domain": domain_view(),
            "password_expires_at": None,
        },
        "audit_ids": [payload.token_id],
        "issued_at": iso(payload.issued_at),
        "expires_at": iso(payload.expires_at),
    }
    if payload.project_id is not None:
        body["project"] = {
            "id": payload.project_id,
            "name": payload.project_name,
            "domain": domain_view(),
        }
        body["is_domain"] = False
        body["roles"] = [{"id": role, "name": role} for role in payload.roles]
        if with_catalog:
            body["catalog"] = catalog(base)
    return {"token": body}


def project_view(project: ident.Project, base: str) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "domain_id": project.domain_id,
        "description": project.description,
        "enabled": project.enabled,
        "is_domain": False,
        "parent_id": project.domain_id,
        "tags": [],
        "options": {"immutable": True} if project.immutable else {},
        "links": {"self": f"{base}{CANONICAL_PREFIX}/projects/{project.id}"},
    }


def user_view(user: ident.User, base: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "domain_id": user.domain_id,
        "enabled": user.enabled,
        "password_expires_at": None,
        "options": {},
        "links": {"self": f"{base}{CANONICAL_PREFIX}/users/{user.id}"},
    }
    for field in ("default_project_id", "description", "email"):
        if getattr(user, field):
            view[field] = getattr(user, field)
    return view


def role_view(role: ident.Role, base: str) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "domain_id": None,
        "description": role.description,
        "options": {},
        "links": {"self": f"{base}{CANONICAL_PREFIX}/roles/{role.id}"},
    }


def assignment_view(assignment: ident.RoleAssignment, base: str) -> dict[str, Any]:
    if assignment.project_id == SYSTEM_SCOPE:
        scope: dict[str, Any] = {"system": {"all": True}}
        link = f"{base}{CANONICAL_PREFIX}/system/users/{assignment.user_id}/roles/{assignment.role}"
    else:
        scope = {"project": {"id": assignment.project_id}}
        link = (
            f"{base}{CANONICAL_PREFIX}/projects/{assignment.project_id}/users/"
            f"{assignment.user_id}/roles/{assignment.role}"
        )
    return {
        "role": {"id": assignment.role},
        "user": {"id": assignment.user_id},
        "scope": scope,
        "links": {"assignment": link},
    }


def list_links(request: Request) -> dict[str, Any]:
    return {"self": str(request.url), "previous": None, "next": None}


def version_view(base: str) -> dict[str, Any]:
    return {
        "id": IDENTITY_VERSION,
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base}{CANONICAL_PREFIX}/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


# --- request parsing ------------------------------------------------------------------------


async def json_object(request: Request, key: str) -> dict[str, Any]:
    """`body[key]` of a JSON body, which must be an object; 400 naming what is wrong."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"Request body too large: at most {MAX_BODY_BYTES} bytes.")
    if not raw.strip():
        raise BadRequest("Malformed request body: a JSON object is required.")
    document = decode_json(raw)  # bounded depth, valid Unicode: else a 400 saying why
    if not isinstance(document, dict) or not isinstance(document.get(key), dict):
        raise BadRequest(f"Malformed request body: '{key}' must be an object.")
    return document[key]


def obj(
    parent: Mapping[str, Any], key: str, where: str, *, required: bool = True
) -> dict[str, Any]:
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid input for field '{where}': an object is required.")
    return value


def text(
    parent: Mapping[str, Any], key: str, where: str, *, required: bool = False, limit: int = 4096
) -> str | None:
    value = parent.get(key)
    if value is None:
        if required:
            raise BadRequest(f"Invalid input for field '{where}': a string is required.")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for field '{where}': a string is required.")
    if len(value) > limit:
        raise BadRequest(f"Invalid input for field '{where}': at most {limit} characters.")
    return value


def boolean(parent: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadRequest(f"Invalid input for field '{where}': a boolean is required.")
    return value


def check_domain(parent: Mapping[str, Any], where: str) -> None:
    """Only the default domain exists; naming another one fails authentication."""
    domain = parent.get("domain")
    if domain is None:
        return
    if not isinstance(domain, dict):
        raise BadRequest(f"Invalid input for field '{where}.domain': an object is required.")
    domain_id = text(domain, "id", f"{where}.domain.id", limit=255)
    domain_name = text(domain, "name", f"{where}.domain.name", limit=255)
    if (domain_id is not None and domain_id != DOMAIN_ID) or (
        domain_name is not None and domain_name != DOMAIN_NAME
    ):
        raise Unauthenticated("The request you have made requires authentication.")


def check_domain_id(parent: Mapping[str, Any], where: str) -> None:
    domain_id = text(parent, "domain_id", where, limit=255)
    if domain_id is not None and domain_id != DOMAIN_ID:
        raise BadRequest(f"Invalid input for field '{where}': only domain {DOMAIN_ID!r} exists.")


# --- the router -----------------------------------------------------------------------------


def router_for(identity_api: IdentityApi, token_manager: TokenManager) -> APIRouter:
    """Every identity route, under `/identity/v3` and `/v3` (and `/v2.0` for tokens)."""
    router = APIRouter(route_class=KeystoneRoute)

    def request_id(request: Request) -> str:
        ctx = getattr(request.state, "context", None)
        return ctx.request_id if isinstance(ctx, RequestContext) else new_request_id()

    def caller(request: Request) -> TokenPayload:
        token = request.headers.get(AUTH_TOKEN_HEADER, "")
        if not token:
            raise Unauthenticated(MISSING)
        return token_manager.validate(token)

    def ctx_of(request: Request) -> RequestContext:
        return caller_context(caller(request), request_id(request))

    # --- versions and tokens

    async def identity_versions(request: Request) -> JSONResponse:
        base = base_url(request)
        return JSONResponse({"versions": {"values": [version_view(base)]}}, status_code=300)

    async def version(request: Request) -> dict[str, Any]:
        return {"version": version_view(base_url(request))}

    async def issue_token(request: Request) -> JSONResponse:
        auth = await json_object(request, "auth")
        result = await authenticate_v3(identity_api, auth)
        base = base_url(request)
        with_catalog = "nocatalog" not in request.query_params
        return JSONResponse(
            token_view(result.issued.payload, base, with_catalog=with_catalog),
            status_code=201,
            headers={SUBJECT_TOKEN_HEADER: result.issued.token},
        )

    def subject(request: Request) -> tuple[TokenPayload, str]:
        who = caller(request)
        token = request.headers.get(SUBJECT_TOKEN_HEADER, "")
        return identity_api.validate_token(who, token), token

    async def validate_token(request: Request) -> JSONResponse:
        payload, token = subject(request)
        with_catalog = "nocatalog" not in request.query_params
        return JSONResponse(
            token_view(payload, base_url(request), with_catalog=with_catalog),
            headers={SUBJECT_TOKEN_HEADER: token},
        )

    async def check_token(request: Request) -> Response:
        subject(request)
        return Response(status_code=200)

    async def revoke_token(request: Request) -> Response:
        await identity_api.revoke_token(
            caller(request), request.headers.get(SUBJECT_TOKEN_HEADER, "")
        )
        return Response(status_code=204)

    async def auth_projects(request: Request) -> dict[str, Any]:
        who = caller(request)
        projects = await identity_api.projects_of(who.user_id)
        base = base_url(request)
        return {
            "projects": [project_view(p, base) for p in projects],
            "links": list_links(request),
        }

    async def auth_catalog(request: Request) -> dict[str, Any]:
        caller(request)
        return {"catalog": catalog(base_url(request)), "links": list_links(request)}

    # --- domains

    async def list_domains(request: Request) -> dict[str, Any]:
        caller(request)
        return {"domains": [default_domain(request)], "links": list_links(request)}

    async def get_domain(request: Request, domain_id: str) -> dict[str, Any]:
        caller(request)
        if domain_id != DOMAIN_ID:
            raise ApiError(404, f"Could not find domain: {domain_id[:64]}.")
        return {"domain": default_domain(request)}

    def default_domain(request: Request) -> dict[str, Any]:
        return {
            "id": DOMAIN_ID,
            "name": DOMAIN_NAME,
            "description": "The default domain",
            "enabled": True,
            "tags": [],
            "options": {},
            "links": {"self": f"{base_url(request)}{CANONICAL_PREFIX}/domains/{DOMAIN_ID}"},
        }

    # --- projects

    async def list_projects(request: Request) -> dict[str, Any]:
        name = request.query_params.get("name", "")
        projects = await identity_api.list_projects(ctx_of(request), name)
        base = base_url(request)
        return {"projects": [project_view(p, base) for p in projects], "links": list_links(request)}

    async def create_project(request: Request) -> JSONResponse:
        ctx = ctx_of(request)
        spec = await json_object(request, "project")
        check_domain_id(spec, "project.domain_id")
        enabled = boolean(spec, "enabled", "project.enabled")
        project = await identity_api.create_project(
            ctx,
            text(spec, "name", "project.name", required=True, limit=255) or "",
            text(spec, "description", "project.description") or "",
            enabled=enabled is not False,
        )
        return JSONResponse({"project": project_view(project, base_url(request))}, status_code=201)

    async def get_project(request: Request, project_id: str) -> dict[str, Any]:
        project = await identity_api.get_project(ctx_of(request), project_id)
        return {"project": project_view(project, base_url(request))}

    async def update_project(request: Request, project_id: str) -> dict[str, Any]:
        ctx = ctx_of(request)
        spec = await json_object(request, "project")
        project = await identity_api.update_project(
            ctx,
            project_id,
            name=text(spec, "name", "project.name", limit=255),
            description=text(spec, "description", "project.description"),
            enabled=boolean(spec, "enabled", "project.enabled"),
        )
        return {"project": project_view(project, base_url(request))}

    async def delete_project(request: Request, project_id: str) -> Response:
        await identity_api.delete_project(ctx_of(request), project_id)
        return Response(status_code=204)

    # --- users

    async def list_users(request: Request) -> dict[str, Any]:
        name = request.query_params.get("name", "")
        users = await identity_api.list_users(ctx_of(request), name)
        base = base_url(request)
        return {"users": [user_view(u, base) for u in users], "links": list_links(request)}

    async def create_user(request: Request) -> JSONResponse:
        ctx = ctx_of(request)
        spec = await json_object(request, "user")
        check_domain_id(spec, "user.domain_id")
        enabled = boolean(spec, "enabled", "user.enabled")
        user = await identity_api.create_user(
            ctx,
            text(spec, "name", "user.name", required=True, limit=255) or "",
            text(spec, "password", "user.password", required=True) or "",
            default_project_id=text(spec, "default_project_id", "user.default_project_id", limit=64)
            or "",
            description=text(spec, "description", "user.description") or "",
            email=text(spec, "email", "user.email", limit=255) or "",
            enabled=enabled is not False,
        )
        return JSONResponse({"user": user_view(user, base_url(request))}, status_code=201)

    async def get_user(request: Request, user_id: str) -> dict[str, Any]:
        user = await identity_api.get_user(ctx_of(request), user_id)
        return {"user": user_view(user, base_url(request))}

    async def update_user(request: Request, user_id: str) -> dict[str, Any]:
        ctx = ctx_of(request)
        spec = await json_object(request, "user")
        user = await identity_api.update_user(
            ctx,
            user_id,
            name=text(spec, "name", "user.name", limit=255),
            password=text(spec, "password", "user.password"),
            enabled=boolean(spec, "enabled", "user.enabled"),
            description=text(spec, "description", "user.description"),
            email=text(spec, "email", "user.email", limit=255),
            default_project_id=text(
                spec, "default_project_id", "user.default_project_id", limit=64
            ),
        )
        return {"user": user_view(user, base_url(request))}

    async def delete_user(request: Request, user_id: str) -> Response:
        await identity_api.delete_user(ctx_of(request), user_id)
        return Response(status_code=204)

    async def change_password(request: Request, user_id: str) -> Response:
        who = caller(request)
        spec = await json_object(request, "user")
        await identity_api.change_password(
            who,
            user_id,
            text(spec, "original_password", "user.original_password", required=True) or "",
            text(spec, "password", "user.password", required=True) or "",
        )
        return Response(status_code=204)

    async def user_projects(request: Request, user_id: str) -> dict[str, Any]:
        who = caller_context(caller(request), request_id(request))
        if who.user_id != user_id:
            await identity_api.get_user(who, user_id)  # admins and project managers only
            if "admin" not in who.roles:
                raise ApiError(403, "only a cloud admin may list another user's projects")
        projects = await identity_api.projects_of(user_id)
        base = base_url(request)
        return {"projects": [project_view(p, base) for p in projects], "links": list_links(request)}

    # --- roles

    async def list_roles(request: Request) -> dict[str, Any]:
        caller(request)
        base = base_url(request)
        name = request.query_params.get("name", "")
        roles = [r for r in ALL_ROLES if not name or r.name == name]
        return {"roles": [role_view(r, base) for r in roles], "links": list_links(request)}

    async def get_role(request: Request, role_id: str) -> dict[str, Any]:
        caller(request)
        for role in ALL_ROLES:
            if role.id == role_id:
                return {"role": role_view(role, base_url(request))}
        raise ApiError(404, f"Could not find role: {role_id[:64]}.")

    async def assign(request: Request, project_id: str, user_id: str, role_id: str) -> Response:
        await identity_api.assign_role(ctx_of(request), project_id, user_id, role_id)
        return Response(status_code=204)

    async def check(request: Request, project_id: str, user_id: str, role_id: str) -> Response:
        found = await identity_api.check_role(ctx_of(request), project_id, user_id, role_id)
        if not found:
            raise ApiError(404, f"Could not find role assignment: {role_id[:64]}.")
        return Response(status_code=204)

    async def unassign(request: Request, project_id: str, user_id: str, role_id: str) -> Response:
        await identity_api.unassign_role(ctx_of(request), project_id, user_id, role_id)
        return Response(status_code=204)

    async def project_user_roles(request: Request, project_id: str, user_id: str) -> dict[str, Any]:
        assignments = await identity_api.list_role_assignments(
            ctx_of(request), user_id=user_id, project_id=project_id
        )
        names = {a.role for a in assignments}
        base = base_url(request)
        roles = [role_view(r, base) for r in ALL_ROLES if r.name in names]
        return {"roles": roles, "links": list_links(request)}

    async def system_assign(request: Request, user_id: str, role_id: str) -> Response:
        return await assign(request, SYSTEM_SCOPE, user_id, role_id)

    async def system_check(request: Request, user_id: str, role_id: str) -> Response:
        return await check(request, SYSTEM_SCOPE, user_id, role_id)

    async def system_unassign(request: Request, user_id: str, role_id: str) -> Response:
        return await unassign(request, SYSTEM_SCOPE, user_id, role_id)

    async def role_assignments(request: Request) -> dict[str, Any]:
        query = request.query_params
        project_id = query.get("scope.project.id", "")
        if query.get("scope.system") == "all":
            project_id = SYSTEM_SCOPE
        assignments = await identity_api.list_role_assignments(
            ctx_of(request), user_id=query.get("user.id", ""), project_id=project_id
        )
        role_id = query.get("role.id", "")
        base = base_url(request)
        return {
            "role_assignments": [
                assignment_view(a, base) for a in assignments if not role_id or a.role == role_id
            ],
            "links": list_links(request),
        }

    # --- v2.0 tokens

    async def issue_token_v2(request: Request) -> dict[str, Any]:
        auth = await json_object(request, "auth")
        result = await authenticate_v2(identity_api, auth)
        return access_view(result, base_url(request))

    for prefix in ("/identity",):
        router.add_api_route(prefix, identity_versions, methods=["GET"], status_code=300)
        router.add_api_route(prefix + "/", identity_versions, methods=["GET"], status_code=300)
    routes: list[tuple[str, Callable[..., Any], list[str]]] = [
        ("", version, ["GET"]),
        ("/", version, ["GET"]),
        ("/auth/tokens", issue_token, ["POST"]),
        ("/auth/tokens", validate_token, ["GET"]),
        ("/auth/tokens", check_token, ["HEAD"]),
        ("/auth/tokens", revoke_token, ["DELETE"]),
        ("/auth/projects", auth_projects, ["GET"]),
        ("/auth/catalog", auth_catalog, ["GET"]),
        ("/domains", list_domains, ["GET"]),
        ("/domains/{domain_id}", get_domain, ["GET"]),
        ("/projects", list_projects, ["GET"]),
        ("/projects", create_project, ["POST"]),
        ("/projects/{project_id}", get_project, ["GET"]),
        ("/projects/{project_id}", update_project, ["PATCH"]),
        ("/projects/{project_id}", delete_project, ["DELETE"]),
        ("/projects/{project_id}/users/{user_id}/roles", project_user_roles, ["GET"]),
        ("/projects/{project_id}/users/{user_id}/roles/{role_id}", assign, ["PUT"]),
        ("/projects/{project_id}/users/{user_id}/roles/{role_id}", check, ["HEAD", "GET"]),
        ("/projects/{project_id}/users/{user_id}/roles/{role_id}", unassign, ["DELETE"]),
        ("/system/users/{user_id}/roles/{role_id}", system_assign, ["PUT"]),
        ("/system/users/{user_id}/roles/{role_id}", system_check, ["HEAD", "GET"]),
        ("/system/users/{user_id}/roles/{role_id}", system_unassign, ["DELETE"]),
        ("/users", list_users, ["GET"]),
        ("/users", create_user, ["POST"]),
        ("/users/{user_id}", get_user, ["GET"]),
        ("/users/{user_id}", update_user, ["PATCH"]),
        ("/users/{user_id}", delete_user, ["DELETE"]),
        ("/users/{user_id}/password", change_password, ["POST"]),
        ("/users/{user_id}/projects", user_projects, ["GET"]),
        ("/roles", list_roles, ["GET"]),
        ("/roles/{role_id}", get_role, ["GET"]),
        ("/role_assignments", role_assignments, ["GET"]),
    ]
    # The answers of success that are not a 200 with JSON, so the OpenAPI document says
    # what is sent: 201 with the created resource, or no body at all.
    created = {issue_token, create_project, create_user}
    bodiless = {
        check_token: 200,
        revoke_token: 204,
        delete_project: 204,
        delete_user: 204,
        change_password: 204,
        assign: 204,
        check: 204,
        unassign: 204,
        system_assign: 204,
        system_check: 204,
        system_unassign: 204,
    }
    for prefix in PREFIXES:
        for path, endpoint, methods in routes:
            if endpoint in bodiless:
                router.add_api_route(
                    prefix + path,
                    endpoint,
                    methods=methods,
                    status_code=bodiless[endpoint],
                    response_class=Response,
                )
            else:
                status = 201 if endpoint in created else 200
                router.add_api_route(prefix + path, endpoint, methods=methods, status_code=status)
    for prefix in V2_PREFIXES:
        router.add_api_route(prefix + "/tokens", issue_token_v2, methods=["POST"])
    return router


# --- authentication bodies --------------------------------------------------------------------


async def authenticate_v3(identity_api: IdentityApi, auth: dict[str, Any]) -> AuthResult:
    """Keystone v3's password authentication, scoped to a project by id or by name."""
    identity = obj(auth, "identity", "auth.identity")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise BadRequest("Invalid input for field 'auth.identity.methods': a list of strings.")
    if methods != [PASSWORD_METHOD]:
        raise Unauthenticated("Attempted to authenticate with an unsupported method.")
    password_spec = obj(identity, "password", "auth.identity.password")
    user = obj(password_spec, "user", "auth.identity.password.user")
    user_id = text(user, "id", "auth.identity.password.user.id", limit=255)
    user_name = text(user, "name", "auth.identity.password.user.name", limit=255)
    password = text(user, "password", "auth.identity.password.user.password", required=True)
    if not user_id and not user_name:
        raise BadRequest("Invalid input for field 'auth.identity.password.user': id or name.")
    check_domain(user, "auth.identity.password.user")

    project_id = project_name = ""
    scope = auth.get("scope")
    if scope is not None and scope != "unscoped":
        if not isinstance(scope, dict):
            raise BadRequest("Invalid input for field 'auth.scope': an object is required.")
        if "project" not in scope:
            raise BadRequest("Only project scope is supported: give auth.scope.project.")
        project = obj(scope, "project", "auth.scope.project")
        project_id = text(project, "id", "auth.scope.project.id", limit=255) or ""
        project_name = text(project, "name", "auth.scope.project.name", limit=255) or ""
        if not project_id and not project_name:
            raise BadRequest("Invalid input for field 'auth.scope.project': id or name.")
        check_domain(project, "auth.scope.project")
    return await identity_api.authenticate(
        password=password or "",
        user_id=user_id or "",
        user_name=user_name or "",
        project_id=project_id,
        project_name=project_name,
    )


async def authenticate_v2(identity_api: IdentityApi, auth: dict[str, Any]) -> AuthResult:
    """Keystone v2.0's passwordCredentials, with tenantId or tenantName."""
    credentials = obj(auth, "passwordCredentials", "auth.passwordCredentials")
    user_name = text(credentials, "username", "auth.passwordCredentials.username", limit=255)
    user_id = text(credentials, "userId", "auth.passwordCredentials.userId", limit=255)
    password = text(credentials, "password", "auth.passwordCredentials.password", required=True)
    if not user_name and not user_id:
        raise BadRequest("Invalid input for field 'auth.passwordCredentials': username.")
    return await identity_api.authenticate(
        password=password or "",
        user_id=user_id or "",
        user_name=user_name or "",
        project_id=text(auth, "tenantId", "auth.tenantId", limit=255) or "",
        project_name=text(auth, "tenantName", "auth.tenantName", limit=255) or "",
    )


def access_view(result: AuthResult, base: str) -> dict[str, Any]:
    """Keystone v2.0's `access` document."""
    payload = result.issued.payload
    token: dict[str, Any] = {
        "id": result.issued.token,
        "issued_at": iso(payload.issued_at),
        "expires": iso(payload.expires_at),
        "audit_ids": [payload.token_id],
    }
    if result.project is not None:
        token["tenant"] = {
            "id": result.project.id,
            "name": result.project.name,
            "description": result.project.description,
            "enabled": result.project.enabled,
        }
    service_catalog = [
        {
            "type": entry["type"],
            "name": entry["name"],
            "endpoints": [
                {
                    "id": endpoint["id"],
                    "region": REGION,
                    "publicURL": endpoint["url"],
                    "internalURL": endpoint["url"],
                    "adminURL": endpoint["url"],
                }
                for endpoint in entry["endpoints"]
            ],
            "endpoints_links": [],
        }
        for entry in (catalog(base) if result.project is not None else [])
    ]
    return {
        "access": {
            "token": token,
            "user": {
                "id": payload.user_id,
                "name": payload.user_name,
                "username": payload.user_name,
                "roles": [{"name": role} for role in payload.roles],
                "roles_links": [],
            },
            "serviceCatalog": service_catalog,
            "metadata": {
                "is_admin": 0,
                "roles": list(payload.roles),
            },
        }
    }


__all__ = ["KeystoneRoute", "keystone_error", "router_for"]

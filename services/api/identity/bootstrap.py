"""The first admin and a `clouds.yaml`, as `keystone-manage bootstrap` and devstack make them.

`ensure_bootstrap` is idempotent: run it at every start; it creates what is missing and
resets nothing (an existing admin keeps the password it has).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import structlog

from services.api.identity.service import ADMIN, DOMAIN_NAME, SYSTEM_SCOPE, IdentityApi
from services.api.identity.tokens import TokenManager
from services.runtime.context import RequestContext
from services.runtime.errors import AlreadyExists
from services.state.store import Store
from stratus.v1 import identity_pb2 as ident

log = structlog.get_logger(__name__)

ADMIN_PROJECT = "admin"
ADMIN_USER = "admin"
CLOUD_NAME = "stratus"
REGION = "RegionOne"


async def ensure_bootstrap(store: Store, admin_password: str) -> tuple[ident.User, ident.Project]:
    """Project "admin" and user "admin" holding the global role admin, created if missing.

    The admin user is also a member of the admin project, so its project-scoped token
    carries both roles (admin, member), like devstack's admin. The admin project is
    immutable: it can be neither deleted nor disabled (that would lock the admin out).
    """
    # Creating records and assigning roles never issues or revokes: no keys are needed.
    api = IdentityApi(store, TokenManager(store.etcd))
    system = RequestContext(user_id="bootstrap", project_id="", roles=(ADMIN,))
    project = await _ensure(
        lambda: api.create_project(system, ADMIN_PROJECT, "Bootstrap project for the cloud admin"),
        lambda: _project_named(api, ADMIN_PROJECT),
    )
    if not project.immutable:
        project = (await store.projects.update(project.id, _make_immutable)).message
    user = await _ensure(
        lambda: api.create_user(system, ADMIN_USER, admin_password, default_project_id=project.id),
        lambda: _user_named(api, ADMIN_USER),
    )
    await api.assign_role(system, SYSTEM_SCOPE, user.id, ADMIN)
    await api.assign_role(system, project.id, user.id, "member")
    log.info("identity bootstrapped", user_id=user.id, project_id=project.id)
    return user, project


def _make_immutable(project: ident.Project) -> None:
    project.immutable = True


async def _ensure(create: Any, find: Any) -> Any:
    found = await find()
    if found is not None:
        return found
    try:
        return await create()
    except AlreadyExists:  # another process bootstrapped meanwhile
        found = await find()
        if found is None:
            raise
        return found


async def _project_named(api: IdentityApi, name: str) -> ident.Project | None:
    return await api._find_project("", name)


async def _user_named(api: IdentityApi, name: str) -> ident.User | None:
    return await api._find_user("", name)


def clouds_config(
    auth_url: str,
    password: str,
    *,
    username: str = ADMIN_USER,
    project_name: str = ADMIN_PROJECT,
    cloud: str = CLOUD_NAME,
) -> dict[str, Any]:
    """The `clouds.yaml` document openstacksdk and the openstack CLI read."""
    return {
        "clouds": {
            cloud: {
                "auth": {
                    "auth_url": auth_url,
                    "username": username,
                    "password": password,
                    "project_name": project_name,
                    "user_domain_name": DOMAIN_NAME,
                    "project_domain_name": DOMAIN_NAME,
                },
                "region_name": REGION,
                "interface": "public",
                "identity_api_version": 3,
            }
        }
    }


def write_clouds_yaml(
    path: Path,
    auth_url: str,
    password: str,
    *,
    username: str = ADMIN_USER,
    project_name: str = ADMIN_PROJECT,
    cloud: str = CLOUD_NAME,
) -> Path:
    """Write (or replace) `path` readable by its owner only: it holds a password.

    `auth_url` is the identity endpoint, e.g. `http://127.0.0.1:8774/identity/v3`.
    """
    document = clouds_config(
        auth_url, password, username=username, project_name=project_name, cloud=cloud
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(to_yaml(document))
    os.replace(temporary, path)
    return path


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML of nested dicts of strings, ints and bools (scalars JSON-quoted,
    which YAML reads as double-quoted strings)."""
    lines: list[str] = []
    pad = "  " * indent
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.append(to_yaml(item, indent + 1).rstrip("\n"))
        else:
            lines.append(f"{pad}{key}: {json.dumps(item)}")
    return "\n".join(lines) + "\n"

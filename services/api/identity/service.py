"""The identity service layer: authentication, projects, users, roles and who may change them.

Both the gRPC servicer and the REST router call this class; the rules live here once:

- a cloud admin (global role `admin`) may do everything;
- a project manager may add users to and remove them from their own project: assign and
  unassign the roles member, network_manager and project_manager in the project their
  token is scoped to, and look users up to do so;
- anyone may read their own user, their own project and their own role assignments.

Stratus owns both identity and compute, so a project is deleted only when it owns nothing
any more (no servers, no server groups: a Conflict names what is left), and never the
bootstrap admin project, which is immutable (Keystone's resource option): deleting it would
lock the cloud admin out and orphan its servers.

Names are unique per domain; a name index key (`project_names/`, `user_names/`) is written
in the same transaction as the record, so two creates of one name cannot both succeed.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import structlog
from google.protobuf import timestamp_pb2

from services.api.identity import passwords
from services.api.identity.tokens import IssuedToken, TokenManager, TokenPayload
from services.runtime.context import RequestContext
from services.runtime.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from services.state import etcd as ops
from services.state import keys
from services.state import quotas as usage_records
from services.state.repository import MAX_CAS_ATTEMPTS
from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import identity_pb2 as ident

log = structlog.get_logger(__name__)

DOMAIN_ID = "default"
DOMAIN_NAME = "Default"
SYSTEM_SCOPE = "*"  # the project id of a global (system-scoped) role assignment

ADMIN = "admin"
IT_SECURITY = "it_security"
PROJECT_MANAGER = "project_manager"
NETWORK_MANAGER = "network_manager"
MEMBER = "member"

ROLE_DESCRIPTIONS = {
    ADMIN: "Cloud administrator: every permission over the whole cloud.",
    IT_SECURITY: "IT security: may isolate any server of any project.",
    PROJECT_MANAGER: "Project manager: adds users, manages images, runs and stops servers.",
    NETWORK_MANAGER: "Network manager: allocates public IPs, creates and changes firewall rules.",
    MEMBER: "Member (developer): uses the project's servers.",
}
GLOBAL_ROLES = frozenset({ADMIN, IT_SECURITY})
PROJECT_ROLES = frozenset({PROJECT_MANAGER, NETWORK_MANAGER, MEMBER})
# What a project manager may assign and unassign in their own project.
PROJECT_MANAGER_ASSIGNABLE = PROJECT_ROLES

MAX_NAME_CHARS = 255
MIN_PASSWORD_CHARS = 1
PASSWORD_METHOD = "password"

AUTH_FAILED = "The request you have made requires authentication."
ASSIGNMENT_RULE = (
    "only a cloud admin may change role assignments, or a project manager, in the project "
    "their token is scoped to, the roles member, network_manager and project_manager"
)
ADMIN_RULE = "only a cloud admin may {action}"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def role_message(name: str) -> ident.Role:
    return ident.Role(
        id=name, name=name, is_global=name in GLOBAL_ROLES, description=ROLE_DESCRIPTIONS[name]
    )


ALL_ROLES = tuple(
    role_message(name) for name in (ADMIN, IT_SECURITY, PROJECT_MANAGER, NETWORK_MANAGER, MEMBER)
)


@dataclass(frozen=True)
class AuthResult:
    """A successful authentication: the token and the records it was issued for."""

    issued: IssuedToken
    user: ident.User
    project: ident.Project | None


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def _name_key(prefix: str, name: str) -> str:
    return f"{prefix}{DOMAIN_ID}/{quote(name, safe='')}"


def _check_name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"{kind} name must be a non-empty string.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidArgument(f"{kind} name must be at most {MAX_NAME_CHARS} characters.")
    if _CONTROL.search(name):
        raise InvalidArgument(f"{kind} name must not contain control characters.")
    return name


def _check_text(field: str, value: str, limit: int = 4096) -> str:
    if len(value) > limit:
        raise InvalidArgument(f"{field} must be at most {limit} characters.")
    return value


def _check_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise InvalidArgument("password must be a non-empty string.")
    if len(password) > passwords.MAX_PASSWORD_CHARS:
        raise InvalidArgument(
            f"password must be at most {passwords.MAX_PASSWORD_CHARS} characters."
        )
    return password


def _check_id(kind: str, value: str) -> str:
    if not value or "/" in value or len(value) > 64 or _CONTROL.search(value):
        raise NotFound(f"Could not find {kind}: {value[:64]}.")
    return value


def immutable_refusal(project: ident.Project, action: str) -> PermissionDenied:
    return PermissionDenied(
        f"Unable to {action} immutable project resource: `{project.id}`. It is the bootstrap "
        "admin project, the cloud admin's own."
    )


# How the resources a project's quota usage counts are named when it still owns them; the
# cores and RAM of its servers go without saying.
_OWNED_NAMES = {
    "instances": ("server", "servers"),
    "server_groups": ("server group", "server groups"),
}
_FOLLOW_SERVERS = frozenset({"cores", "ram"})


def still_owned(usage: compute_pb2.QuotaUsage) -> str:
    """What a project's usage says it still owns ("2 servers and 1 server group"); "" for
    nothing."""
    in_use = {name: amount for name, amount in usage.in_use.items() if amount > 0}
    if in_use.get("instances"):
        in_use = {name: amount for name, amount in in_use.items() if name not in _FOLLOW_SERVERS}
    parts = []
    for name, amount in sorted(in_use.items()):
        singular, plural = _OWNED_NAMES.get(name, (f"{name} in use", f"{name} in use"))
        parts.append(f"{amount} {singular if amount == 1 else plural}")
    return " and ".join(parts) if len(parts) < 3 else ", ".join(parts[:-1]) + " and " + parts[-1]


def is_admin(ctx: RequestContext) -> bool:
    return ADMIN in ctx.roles


def manages(ctx: RequestContext, project_id: str) -> bool:
    """True when the caller is a project manager with a token scoped to `project_id`."""
    return PROJECT_MANAGER in ctx.roles and bool(project_id) and ctx.project_id == project_id


def _require_admin(ctx: RequestContext, action: str) -> None:
    if not is_admin(ctx):
        raise PermissionDenied(ADMIN_RULE.format(action=action))


class IdentityApi:
    """Identity over the store; `tokens` issues, validates and revokes tokens."""

    def __init__(self, store: Store, tokens: TokenManager) -> None:
        self.store = store
        self.tokens = tokens

    # --- authentication ---------------------------------------------------------------------

    async def authenticate(
        self,
        *,
        password: str,
        user_id: str = "",
        user_name: str = "",
        project_id: str = "",
        project_name: str = "",
        methods: Sequence[str] = (PASSWORD_METHOD,),
    ) -> AuthResult:
        """Check the password and issue a token, scoped to the project when one is named.

        Every failure of the credentials answers the same Unauthenticated, so the answer
        does not tell whether the user exists, is disabled, or the password is wrong.
        """
        user = await self._find_user(user_id, user_name)
        stored = await self.store.user_passwords.get(user.id) if user is not None else None
        if user is None or stored is None or not isinstance(password, str):
            await asyncio.to_thread(passwords.burn_time)
            log.info("authentication failed", user_id=user_id, user_name=user_name)
            raise Unauthenticated(AUTH_FAILED)
        matches = len(password) <= passwords.MAX_PASSWORD_CHARS and await asyncio.to_thread(
            passwords.verify_password, password, stored.message.hash
        )
        if not matches or not user.enabled:
            log.info("authentication failed", user_id=user.id)
            raise Unauthenticated(AUTH_FAILED)

        project: ident.Project | None = None
        roles: list[str] = []
        if project_id or project_name:
            project = await self._find_project(project_id, project_name)
            if project is None or not project.enabled:
                log.info("authentication refused: no such project", user_id=user.id)
                raise Unauthenticated(AUTH_FAILED)
            roles = await self.roles_of(user.id, project.id)
            if not roles:
                log.info("authentication refused: no role", user_id=user.id, project=project.id)
                raise Unauthenticated(f"User {user.id} has no access to project {project.id}.")
        issued = self.tokens.issue(
            user.id,
            user.name,
            project.id if project is not None else None,
            project.name if project is not None else "",
            roles,
            list(methods),
        )
        log.info(
            "token issued",
            user_id=user.id,
            project_id=project.id if project is not None else None,
            token_id=issued.payload.token_id,
        )
        return AuthResult(issued, user, project)

    async def roles_of(self, user_id: str, project_id: str) -> list[str]:
        """The role names `user_id` holds in `project_id`: its project roles, then global."""
        found: list[str] = []
        for scope in (project_id, SYSTEM_SCOPE):
            kvs, _ = await self.store.etcd.list(f"{keys.ROLE_ASSIGNMENTS}{scope}/{user_id}/")
            found += [kv.key.rsplit("/", 1)[-1] for kv in kvs]
        return list(dict.fromkeys(r for r in found if r in ROLE_DESCRIPTIONS))

    async def projects_of(self, user_id: str) -> list[ident.Project]:
        """The enabled projects `user_id` holds a role in (where it may scope a token)."""
        assignments = await self._assignments(user_id=user_id)
        ids = sorted({a.project_id for a in assignments if a.project_id != SYSTEM_SCOPE})
        found = [await self.store.projects.get(project_id) for project_id in ids]
        return [p.message for p in found if p is not None and p.message.enabled]

    def validate_token(self, caller: TokenPayload, subject_token: str) -> TokenPayload:
        """The payload of `subject_token` for a caller allowed to see it (an admin, or the
        token's own user); NotFound for an invalid subject, as Keystone answers."""
        try:
            subject = self.tokens.validate(subject_token)
        except Unauthenticated as exc:
            raise NotFound(f"Could not find token: {exc.message}.") from None
        if ADMIN not in caller.roles and caller.user_id != subject.user_id:
            raise PermissionDenied("only a cloud admin may validate another user's token")
        return subject

    async def revoke_token(self, caller: TokenPayload, subject_token: str) -> None:
        subject = self.validate_token(caller, subject_token)
        await self.tokens.revoke(subject)

    # --- projects ---------------------------------------------------------------------------

    async def _find_project(self, project_id: str, project_name: str) -> ident.Project | None:
        if project_id:
            found = await self.store.projects.get(project_id)
            return found.message if found is not None else None
        if not project_name or len(project_name) > MAX_NAME_CHARS:
            return None
        index = await self.store.etcd.get(_name_key(keys.PROJECT_NAMES, project_name))
        if index is None:
            return None
        found = await self.store.projects.get(index.value.decode())
        return found.message if found is not None else None

    async def list_projects(self, ctx: RequestContext, name: str = "") -> list[ident.Project]:
        """Every project for an admin; a user's own project for anyone else."""
        if not is_admin(ctx):
            own = await self.store.projects.get(ctx.project_id) if ctx.project_id else None
            projects = [own.message] if own is not None else []
        else:
            records, _ = await self.store.projects.list()
            projects = [r.message for r in records]
        if name:
            projects = [p for p in projects if p.name == name]
        return sorted(projects, key=lambda p: p.name)

    async def get_project(self, ctx: RequestContext, project_id: str) -> ident.Project:
        if not is_admin(ctx) and ctx.project_id != project_id:
            raise PermissionDenied("a user may only read the project their token is scoped to")
        found = await self.store.projects.get(project_id)
        if found is None:
            raise NotFound(f"Could not find project: {project_id[:64]}.")
        return found.message

    async def create_project(
        self, ctx: RequestContext, name: str, description: str = "", enabled: bool = True
    ) -> ident.Project:
        _require_admin(ctx, "create projects")
        project = ident.Project(
            id=uuid.uuid4().hex,
            name=_check_name("Project", name),
            domain_id=DOMAIN_ID,
            description=_check_text("description", description),
            enabled=enabled,
            created_at=_now(),
        )
        await self._create_named(
            self.store.projects.key(project.id),
            project.SerializeToString(),
            _name_key(keys.PROJECT_NAMES, project.name),
            project.id,
            "project",
            project.name,
        )
        log.info("project created", project_id=project.id, name=project.name)
        return project

    async def _create_named(
        self,
        record_key: str,
        value: bytes,
        name_key: str,
        record_id: str,
        kind: str,
        name: str,
        extra_ops: Sequence[object] = (),
    ) -> None:
        result = await self.store.etcd.txn(
            [ops.absent(record_key), ops.absent(name_key)],
            [ops.put(record_key, value), ops.put(name_key, record_id.encode()), *extra_ops],
        )
        if not result.succeeded:
            raise AlreadyExists(
                f"Conflict occurred attempting to store {kind} - Duplicate entry: "
                f"a {kind} named {name!r} already exists in domain {DOMAIN_ID}."
            )

    async def update_project(
        self,
        ctx: RequestContext,
        project_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> ident.Project:
        _require_admin(ctx, "change projects")
        if name is not None:
            _check_name("Project", name)
        if description is not None:
            _check_text("description", description)

        def mutate(project: ident.Project) -> None:
            if project.immutable and enabled is False:
                raise immutable_refusal(project, "disable")
            if description is not None:
                project.description = description
            if enabled is not None:
                project.enabled = enabled

        updated = await self._update_named(
            self.store.projects.key(project_id),
            keys.PROJECT_NAMES,
            project_id,
            ident.Project,
            "project",
            name,
            mutate,
        )
        if enabled is False:
            await self.tokens.revoke_project(project_id)
        log.info("project updated", project_id=project_id)
        assert isinstance(updated, ident.Project)
        return updated

    async def _update_named(
        self,
        record_key: str,
        names_prefix: str,
        record_id: str,
        message_type: type[ident.Project] | type[ident.User],
        kind: str,
        new_name: str | None,
        mutate: Callable[[Any], None],
        extra_ops: Sequence[object] = (),
    ) -> ident.Project | ident.User:
        """Read-modify-write of a named record; a rename moves its name index key in the
        same transaction (and fails if the new name is taken)."""
        for _ in range(MAX_CAS_ATTEMPTS):
            kv = await self.store.etcd.get(record_key) if record_id else None
            if kv is None or "/" in record_id:
                raise NotFound(f"Could not find {kind}: {record_id[:64]}.")
            current = message_type.FromString(kv.value)
            updated = message_type()
            updated.CopyFrom(current)
            mutate(updated)
            compare = [ops.unchanged(record_key, kv.mod_revision)]
            writes: list[object] = [ops.put(record_key, updated.SerializeToString()), *extra_ops]
            if new_name is not None and new_name != current.name:
                updated.name = new_name
                new_key = _name_key(names_prefix, new_name)
                compare.append(ops.absent(new_key))
                writes = [
                    ops.put(record_key, updated.SerializeToString()),
                    *extra_ops,
                    ops.delete(_name_key(names_prefix, current.name)),
                    ops.put(new_key, record_id.encode()),
                ]
                taken = await self.store.etcd.get(new_key)
                if taken is not None:
                    raise AlreadyExists(
                        f"Conflict occurred attempting to store {kind} - Duplicate entry: "
                        f"a {kind} named {new_name!r} already exists in domain {DOMAIN_ID}."
                    )
            result = await self.store.etcd.txn(compare, writes)
            if result.succeeded:
                return updated
        raise Unavailable(f"{kind} {record_id} is changing too fast; try again.")

    async def delete_project(self, ctx: RequestContext, project_id: str) -> None:
        """Delete the project with its name, role assignments, quota overrides and flavor
        access; revoke its tokens.

        Refused (Conflict, naming what is left) while the project owns servers or server
        groups, and always (PermissionDenied) for the immutable bootstrap admin project. The
        project's quota usage is the proof it owns nothing: every boot and every group create
        writes it in the transaction that records them. The delete compares its revision,
        so a concurrent boot either lands first (and the delete answers Conflict) or loses,
        and leaves it marked deleted, so that a boot with a token not yet revoked is refused.
        """
        _require_admin(ctx, "delete projects")
        for _ in range(MAX_CAS_ATTEMPTS):
            found = await self.store.projects.get(_check_id("project", project_id))
            if found is None:
                raise NotFound(f"Could not find project: {project_id[:64]}.")
            if found.message.immutable:
                raise immutable_refusal(found.message, "delete")
            usage = await usage_records.usage_of(self.store, project_id)
            owned = still_owned(usage.message)
            if owned:
                raise Conflict(
                    f"Project {project_id} still owns {owned}; delete them before the project."
                )
            result = await self.store.etcd.txn(
                [
                    self.store.projects.unchanged(project_id, found.mod_revision),
                    self.store.quota_usage.unchanged(project_id, usage.mod_revision),
                ],
                [
                    self.store.projects.delete_op(project_id),
                    ops.delete(_name_key(keys.PROJECT_NAMES, found.message.name)),
                    ops.delete_prefix(f"{keys.ROLE_ASSIGNMENTS}{project_id}/"),
                    self.store.quotas.delete_op(project_id),
                    self.store.quota_usage.put_op(
                        project_id,
                        compute_pb2.QuotaUsage(project_id=project_id, project_deleted=True),
                    ),
                    *(ops.delete(key) for key in await self._flavor_grants_of(project_id)),
                ],
            )
            if result.succeeded:
                break
        else:
            raise Unavailable(f"project {project_id} is changing too fast; try again.")
        await self.tokens.revoke_project(project_id)
        log.info("project deleted", project_id=project_id)

    async def _flavor_grants_of(self, project_id: str) -> list[str]:
        """The keys of the flavor access grants given to the project."""
        kvs, _ = await self.store.etcd.list(keys.FLAVOR_ACCESS)
        return [kv.key for kv in kvs if kv.key.endswith("/" + project_id)]

    # --- users ------------------------------------------------------------------------------

    async def _find_user(self, user_id: str, user_name: str) -> ident.User | None:
        if not isinstance(user_id, str) or not isinstance(user_name, str):
            return None
        if user_id:
            found = await self.store.users.get(user_id) if len(user_id) <= 64 else None
            return found.message if found is not None else None
        if not user_name or len(user_name) > MAX_NAME_CHARS:
            return None
        index = await self.store.etcd.get(_name_key(keys.USER_NAMES, user_name))
        if index is None:
            return None
        found = await self.store.users.get(index.value.decode())
        return found.message if found is not None else None

    def _may_read_users(self, ctx: RequestContext) -> bool:
        return is_admin(ctx) or PROJECT_MANAGER in ctx.roles

    async def list_users(self, ctx: RequestContext, name: str = "") -> list[ident.User]:
        """Every user, for an admin or a project manager (who adds users to a project);
        oneself for anyone else."""
        if self._may_read_users(ctx):
            records, _ = await self.store.users.list()
            users = [r.message for r in records]
        else:
            own = await self.store.users.get(ctx.user_id)
            users = [own.message] if own is not None else []
        if name:
            users = [u for u in users if u.name == name]
        return sorted(users, key=lambda u: u.name)

    async def get_user(self, ctx: RequestContext, user_id: str) -> ident.User:
        if not self._may_read_users(ctx) and ctx.user_id != user_id:
            raise PermissionDenied(
                "a user may only read their own record (admins and project managers: any)"
            )
        found = await self.store.users.get(user_id)
        if found is None:
            raise NotFound(f"Could not find user: {user_id[:64]}.")
        return found.message

    async def create_user(
        self,
        ctx: RequestContext,
        name: str,
        password: str,
        *,
        default_project_id: str = "",
        description: str = "",
        email: str = "",
        enabled: bool = True,
    ) -> ident.User:
        _require_admin(ctx, "create users")
        _check_name("User", name)
        _check_password(password)
        if default_project_id and await self.store.projects.get(default_project_id) is None:
            raise InvalidArgument(f"default project {default_project_id[:64]} does not exist.")
        user = ident.User(
            id=uuid.uuid4().hex,
            name=name,
            domain_id=DOMAIN_ID,
            enabled=enabled,
            default_project_id=default_project_id,
            description=_check_text("description", description),
            email=_check_text("email", email, 255),
            created_at=_now(),
            password_changed_at=_now(),
        )
        hashed = await asyncio.to_thread(passwords.hash_password, password)
        await self._create_named(
            self.store.users.key(user.id),
            user.SerializeToString(),
            _name_key(keys.USER_NAMES, name),
            user.id,
            "user",
            name,
            [
                self.store.user_passwords.put_op(
                    user.id, ident.UserPassword(user_id=user.id, hash=hashed)
                )
            ],
        )
        log.info("user created", user_id=user.id, name=name)
        return user

    async def update_user(
        self,
        ctx: RequestContext,
        user_id: str,
        *,
        name: str | None = None,
        password: str | None = None,
        enabled: bool | None = None,
        description: str | None = None,
        email: str | None = None,
        default_project_id: str | None = None,
    ) -> ident.User:
        """Change a user; a new password or disabling revokes every token of the user."""
        _require_admin(ctx, "change users")
        if name is not None:
            _check_name("User", name)
        extra: list[object] = []
        if password is not None:
            hashed = await asyncio.to_thread(passwords.hash_password, _check_password(password))
            extra.append(
                self.store.user_passwords.put_op(
                    user_id, ident.UserPassword(user_id=user_id, hash=hashed)
                )
            )
        if default_project_id and await self.store.projects.get(default_project_id) is None:
            raise InvalidArgument(f"default project {default_project_id[:64]} does not exist.")

        def mutate(user: ident.User) -> None:
            if enabled is not None:
                user.enabled = enabled
            if description is not None:
                user.description = _check_text("description", description)
            if email is not None:
                user.email = _check_text("email", email, 255)
            if default_project_id is not None:
                user.default_project_id = default_project_id
            if password is not None:
                user.password_changed_at.CopyFrom(_now())

        updated = await self._update_named(
            self.store.users.key(user_id),
            keys.USER_NAMES,
            user_id,
            ident.User,
            "user",
            name,
            mutate,
            extra,
        )
        if password is not None or enabled is False:
            await self.tokens.revoke_user(user_id)
        log.info(
            "user updated", user_id=user_id, password_changed=password is not None, enabled=enabled
        )
        assert isinstance(updated, ident.User)
        return updated

    async def change_password(
        self, caller: TokenPayload, user_id: str, original_password: str, password: str
    ) -> None:
        """A user's own password change (Keystone's POST /v3/users/{id}/password)."""
        if caller.user_id != user_id:
            raise PermissionDenied("a user may only change their own password this way")
        await self.authenticate(user_id=user_id, password=original_password)
        admin = RequestContext(user_id=user_id, project_id="", roles=(ADMIN,))
        await self.update_user(admin, user_id, password=password)

    async def delete_user(self, ctx: RequestContext, user_id: str) -> None:
        """Delete the user, its name, password and role assignments; revoke its tokens."""
        _require_admin(ctx, "delete users")
        found = await self.store.users.get(user_id)
        if found is None:
            raise NotFound(f"Could not find user: {user_id[:64]}.")
        assignments = await self._assignments(user_id=user_id)
        result = await self.store.etcd.txn(
            [self.store.users.unchanged(user_id, found.mod_revision)],
            [
                self.store.users.delete_op(user_id),
                self.store.user_passwords.delete_op(user_id),
                ops.delete(_name_key(keys.USER_NAMES, found.message.name)),
                *(self.store.role_assignments.delete_op(_assignment_id(a)) for a in assignments),
            ],
        )
        if not result.succeeded:
            raise Unavailable(f"user {user_id} changed while being deleted; try again.")
        await self.tokens.revoke_user(user_id)
        log.info("user deleted", user_id=user_id)

    # --- roles and assignments --------------------------------------------------------------

    def list_roles(self) -> list[ident.Role]:
        return list(ALL_ROLES)

    def _check_assignment(self, ctx: RequestContext, project_id: str, role: str) -> None:
        if role not in ROLE_DESCRIPTIONS:
            raise NotFound(f"Could not find role: {role[:64]}.")
        if not is_admin(ctx) and not (
            manages(ctx, project_id) and role in PROJECT_MANAGER_ASSIGNABLE
        ):
            raise PermissionDenied(ASSIGNMENT_RULE)
        if role in GLOBAL_ROLES and project_id != SYSTEM_SCOPE:
            raise InvalidArgument(
                f"role {role} is global: assign it on the system scope, not on a project"
            )
        if role not in GLOBAL_ROLES and project_id == SYSTEM_SCOPE:
            raise InvalidArgument(f"role {role} is a project role: assign it on a project")

    async def assign_role(
        self, ctx: RequestContext, project_id: str, user_id: str, role: str
    ) -> None:
        """Give `user_id` the role in `project_id` ("*": globally). Assigning twice is fine."""
        self._check_assignment(ctx, project_id, role)
        user = await self.store.users.get(_check_id("user", user_id))
        if user is None:
            raise NotFound(f"Could not find user: {user_id[:64]}.")
        compare = [self.store.users.unchanged(user_id, user.mod_revision)]
        if project_id != SYSTEM_SCOPE:
            project = await self.store.projects.get(_check_id("project", project_id))
            if project is None:
                raise NotFound(f"Could not find project: {project_id[:64]}.")
            compare.append(self.store.projects.unchanged(project_id, project.mod_revision))
        record = ident.RoleAssignment(
            user_id=user_id, project_id=project_id, role=role, created_at=_now()
        )
        assignment_id = _assignment_id(record)
        if await self.store.role_assignments.get(assignment_id) is not None:
            return
        result = await self.store.etcd.txn(
            compare, [self.store.role_assignments.put_op(assignment_id, record)]
        )
        if not result.succeeded:
            raise Unavailable("the user or the project changed meanwhile; try again.")
        log.info("role assigned", user_id=user_id, project_id=project_id, role=role, by=ctx.user_id)

    async def check_role(
        self, ctx: RequestContext, project_id: str, user_id: str, role: str
    ) -> bool:
        if not is_admin(ctx) and not manages(ctx, project_id) and ctx.user_id != user_id:
            raise PermissionDenied(ASSIGNMENT_RULE)
        if role not in ROLE_DESCRIPTIONS or "/" in user_id or "/" in project_id:
            return False
        record = ident.RoleAssignment(user_id=user_id, project_id=project_id, role=role)
        return await self.store.role_assignments.get(_assignment_id(record)) is not None

    async def unassign_role(
        self, ctx: RequestContext, project_id: str, user_id: str, role: str
    ) -> None:
        """Take the role away and revoke the user's tokens on that scope at once."""
        self._check_assignment(ctx, project_id, role)
        _check_id("user", user_id)
        _check_id("project", project_id)
        record = ident.RoleAssignment(user_id=user_id, project_id=project_id, role=role)
        if not await self.store.role_assignments.delete(_assignment_id(record)):
            raise NotFound(
                f"Could not find role assignment: role {role} of user {user_id[:64]} "
                f"on {project_id[:64]}."
            )
        await self.tokens.revoke_user(user_id, None if project_id == SYSTEM_SCOPE else project_id)
        log.info(
            "role unassigned", user_id=user_id, project_id=project_id, role=role, by=ctx.user_id
        )

    async def _assignments(
        self, *, user_id: str = "", project_id: str = ""
    ) -> list[ident.RoleAssignment]:
        if project_id:
            kvs, _ = await self.store.etcd.list(f"{keys.ROLE_ASSIGNMENTS}{project_id}/")
        else:
            kvs, _ = await self.store.etcd.list(keys.ROLE_ASSIGNMENTS)
        found = [self.store.role_assignments.decode(kv).message for kv in kvs]
        return [a for a in found if not user_id or a.user_id == user_id]

    async def list_role_assignments(
        self, ctx: RequestContext, *, user_id: str = "", project_id: str = ""
    ) -> list[ident.RoleAssignment]:
        """Assignments filtered by user and/or project: any for an admin, their project's for
        a project manager, their own for anyone."""
        if "/" in user_id or "/" in project_id:
            return []
        if not (
            is_admin(ctx)
            or (project_id and manages(ctx, project_id))
            or (user_id and user_id == ctx.user_id)
        ):
            raise PermissionDenied(
                "a user may list only their own role assignments "
                "(project managers: their project's; admins: any)"
            )
        return await self._assignments(user_id=user_id, project_id=project_id)


def _assignment_id(record: ident.RoleAssignment) -> str:
    return f"{record.project_id}/{record.user_id}/{record.role}"


def caller_context(payload: TokenPayload, request_id: str) -> RequestContext:
    """The identity caller's context; unscoped tokens get an empty project and no roles."""
    return RequestContext(
        request_id=request_id,
        user_id=payload.user_id,
        project_id=payload.project_id or "",
        roles=payload.roles,
    )


__all__ = [
    "ALL_ROLES",
    "DOMAIN_ID",
    "DOMAIN_NAME",
    "GLOBAL_ROLES",
    "SYSTEM_SCOPE",
    "AuthResult",
    "IdentityApi",
    "caller_context",
]

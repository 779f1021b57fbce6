"""Who a client command acts as: credentials found as the OpenStack CLI finds them.

In order: a token (`--os-token` / OS_TOKEN); else a user name, password and project
(`--os-username`, `--os-password`, `--os-project-name`, or the OS_* variables); else the
cloud named by `--os-cloud` / OS_CLOUD (default "stratus") in a clouds.yaml, looked for at
OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml and last in the
stratus data dir, where `stratus up` writes one for its admin.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from services.runtime import grpc_client
from stratus.v1 import identity_pb2 as ident
from stratus.v1 import identity_pb2_grpc

DEFAULT_CLOUD = "stratus"
DEFAULT_USER = "admin"
DEFAULT_PROJECT = "admin"
CLOUDS_FILE = "clouds.yaml"


class CredentialsError(Exception):
    """No usable credentials, or the api refused them; the message is one readable line."""


@dataclass(frozen=True)
class Credentials:
    """A token, or a password to exchange for one; `source` says where they came from."""

    token: str = ""
    username: str = ""
    password: str = ""
    project_name: str = ""
    source: str = ""

    def __repr__(self) -> str:  # never print a secret by accident
        return f"Credentials(username={self.username!r}, source={self.source!r})"


@dataclass(frozen=True)
class Given:
    """What the command line and the environment said (flags already merged with OS_*)."""

    token: str | None = None
    username: str | None = None
    password: str | None = None
    project_name: str | None = None
    cloud: str | None = None


# --- clouds.yaml -------------------------------------------------------------------------


def _scalar(text: str) -> str:
    text = text.strip()
    if text.startswith('"'):
        # The writer JSON-quotes; YAML reads a double-quoted scalar the same way.
        value, _ = json.JSONDecoder().raw_decode(text)
        return str(value)
    if text.startswith("'"):
        end = text.rfind("'")
        return text[1:end].replace("''", "'") if end > 0 else text[1:]
    comment = text.find(" #")
    if comment >= 0:
        text = text[:comment].rstrip()
    return "" if text in ("~", "null") else text


def read_clouds_yaml(text: str) -> dict[str, Any]:
    """Nested block mappings of scalars, the shape of every clouds.yaml in practice.

    Not a YAML parser: comments, blank lines, plain and quoted scalars, and `- item` lists
    of scalars are understood; anything else raises ValueError naming the line.
    """
    root: dict[str, Any] = {}
    # (indent of the keys of this mapping, the mapping); a key with no value opens a child.
    stack: list[tuple[int, dict[str, Any]]] = [(0, root)]
    pending: tuple[int, dict[str, Any], str] | None = None  # a key waiting for its block
    current_list: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if stripped.startswith("- ") or stripped == "-":
            if pending is not None and indent >= pending[0]:
                items: list[str] = []
                pending[1][pending[2]] = items
                current_list = items
                pending = None
            if current_list is None:
                raise ValueError(f"line {number}: a list item outside a list")
            current_list.append(_scalar(stripped[1:]))
            continue
        current_list = None
        key, sep, rest = stripped.partition(":")
        if not sep or not key:
            raise ValueError(f"line {number}: expected `key: value`")
        key = _scalar(key)
        if pending is not None:
            pending_indent, parent, pending_key = pending
            pending = None
            if indent > pending_indent:
                child: dict[str, Any] = {}
                parent[pending_key] = child
                stack.append((indent, child))
            else:
                parent[pending_key] = ""
        while len(stack) > 1 and indent < stack[-1][0]:
            stack.pop()
        level, mapping = stack[-1]
        if indent != level:
            raise ValueError(f"line {number}: unexpected indentation")
        value = rest.strip()
        if value and not value.startswith("#"):
            if value[0] in "{[&*!|>":
                raise ValueError(f"line {number}: only plain and quoted values are understood")
            mapping[key] = _scalar(value)
        else:
            mapping[key] = {}
            pending = (indent, mapping, key)
    if pending is not None:
        pending[1][pending[2]] = ""
    return root


def search_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where a clouds.yaml is looked for, first to last."""
    env = os.environ if environ is None else environ
    paths = []
    explicit = env.get("OS_CLIENT_CONFIG_FILE")
    if explicit:
        paths.append(Path(explicit).expanduser())
    paths.append(Path.cwd() / CLOUDS_FILE)
    paths.append(Path.home() / ".config" / "openstack" / CLOUDS_FILE)
    from services.cli.up import default_data_dir  # late: up imports much more than this needs

    paths.append(default_data_dir().expanduser() / CLOUDS_FILE)
    return paths


def cloud_from_files(name: str, paths: Sequence[Path]) -> tuple[dict[str, Any], Path] | None:
    """The first entry `name` of the clouds.yaml files that exist, with its file."""
    for path in paths:
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise CredentialsError(f"cannot read {path}: {error.strerror}") from None
        try:
            document = read_clouds_yaml(text)
        except ValueError as error:
            raise CredentialsError(f"cannot read {path}: {error}") from None
        clouds = document.get("clouds")
        entry = clouds.get(name) if isinstance(clouds, dict) else None
        if isinstance(entry, dict):
            return entry, path
    return None


def admin_password(path: Path, cloud: str = DEFAULT_CLOUD) -> str:
    """The password of cloud `cloud` in the clouds.yaml at `path`; empty when there is none."""
    found = cloud_from_files(cloud, [path])
    if found is None:
        return ""
    auth = found[0].get("auth")
    password = auth.get("password") if isinstance(auth, dict) else ""
    return password if isinstance(password, str) else ""


# --- resolution --------------------------------------------------------------------------


def resolve(given: Given, paths: Sequence[Path] | None = None) -> Credentials:
    """The credentials a command uses, or CredentialsError saying what to do."""
    if given.token:
        return Credentials(token=given.token, source="OS_TOKEN")
    if given.password or given.username:
        if not given.password:
            raise CredentialsError(
                f"no password for user {given.username}: set OS_PASSWORD or --os-password"
            )
        return Credentials(
            username=given.username or DEFAULT_USER,
            password=given.password,
            project_name=given.project_name or DEFAULT_PROJECT,
            source="OS_USERNAME/OS_PASSWORD",
        )
    name = given.cloud or DEFAULT_CLOUD
    searched = list(paths) if paths is not None else search_paths()
    found = cloud_from_files(name, searched)
    if found is None:
        where = ", ".join(str(p) for p in searched)
        raise CredentialsError(
            f"no credentials: run `stratus up` or set OS_CLOUD (cloud {name!r} is in none of "
            f"{where}), OS_TOKEN, or OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME"
        )
    entry, path = found
    auth = entry.get("auth")
    auth = auth if isinstance(auth, dict) else {}
    source = f"cloud {name} in {path}"
    token = auth.get("token")
    if isinstance(token, str) and token:
        return Credentials(token=token, source=source)
    password = auth.get("password")
    if not isinstance(password, str) or not password:
        raise CredentialsError(f"no password or token for {source}")
    return Credentials(
        username=str(auth.get("username") or DEFAULT_USER),
        password=password,
        project_name=str(given.project_name or auth.get("project_name") or DEFAULT_PROJECT),
        source=source,
    )


def authenticate_request(creds: Credentials) -> Any:
    return ident.AuthenticateRequest(
        user_name=creds.username, password=creds.password, project_name=creds.project_name
    )


async def authenticate(api: str, creds: Credentials, call_seconds: float) -> Any:
    """Exchange a password for a token over gRPC (identity_pb2.AuthenticateResponse).

    A refusal becomes CredentialsError; an unreachable api stays a gRPC error.
    """
    channel = grpc_client.channel(api)
    try:
        stub = identity_pb2_grpc.IdentityStub(channel)
        try:
            return await stub.Authenticate(authenticate_request(creds), timeout=call_seconds)
        except grpc.aio.AioRpcError as error:
            if error.code() in (
                grpc.StatusCode.UNAUTHENTICATED,
                grpc.StatusCode.PERMISSION_DENIED,
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.INVALID_ARGUMENT,
            ):
                details = error.details() or error.code().name
                raise CredentialsError(
                    f"authentication failed: {details} (as {creds.username}, {creds.source})"
                ) from None
            raise
    finally:
        await channel.close()


async def token(api: str, creds: Credentials, call_seconds: float) -> str:
    """The token to send: the one given, or one issued for the password."""
    if creds.token:
        return creds.token
    reply = await authenticate(api, creds, call_seconds)
    return str(reply.token)

"""Consoles: a server's serial log, and VNC consoles through the console proxy.

Nova splits this over nova-consoleauth and nova-novncproxy; here the api does both.

- Serial output: the host's agent reads the last lines of the guest's serial log. The api
  reaches it through the conductor holding that host's stream (the host's liveness key in
  etcd names it).
- VNC: the api asks the agent where the running domain's VNC server listens (the host's
  console address, Nova's vncserver_proxyclient_address, and the domain's port), stores a
  random token bound to that server, host and port in etcd under a lease of the token's TTL
  (default 10 minutes) and answers with a URL on the console proxy carrying the token.
  Only the token's SHA-256 is a key in etcd: reading etcd does not yield usable tokens.
- The proxy calls `authorize` for every connection. A token is refused when it is unknown
  or expired, when its server was deleted, moved or stopped, and when the server's VNC
  server is no longer the one the token was issued for: a port freed by one server and
  taken by another never shows the other's screen.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import urllib.parse
from dataclasses import dataclass

import grpc
import structlog
from prometheus_client import Counter

from services.api import policy
from services.api.service import visible
from services.runtime import grpc_client
from services.runtime.context import RequestContext
from services.runtime.errors import (
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    StratusError,
    Unavailable,
    from_rpc_error,
)
from services.state import keys
from services.state.etcd import absent, put
from services.state.store import Store
from stratus.v1 import compute_pb2, conductor_pb2, conductor_pb2_grpc
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

CONSOLE_TOKENS = keys.ROOT + "console_tokens/"
# Protocol -> the console types served for it (Nova also knows spice, rdp, serial, mks).
SUPPORTED = {"vnc": frozenset({"novnc"})}
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128
CONDUCTOR_BINARY = "stratus-conductor"

TOKENS_ISSUED = Counter("stratus_console_tokens_issued_total", "Console tokens handed out.")
TOKENS_CHECKED = Counter(
    "stratus_console_tokens_checked_total",
    "Console tokens the proxy presented, by outcome (accepted or why refused).",
    ["outcome"],
)

_RUNNING_VM_STATES = frozenset({t.VM_STATE_ACTIVE, t.VM_STATE_PAUSED})
_CONSOLE_POWER_STATES = frozenset({t.POWER_STATE_RUNNING, t.POWER_STATE_PAUSED})


class ConsoleRefused(PermissionDenied):
    """The console proxy must not connect with this token; the message says why."""

    def __init__(self, message: str, outcome: str) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class ConsoleTarget:
    """Where the proxy connects for an accepted token."""

    instance_id: str
    host: str
    address: str
    port: int


def token_key(token: str) -> str:
    return CONSOLE_TOKENS + hashlib.sha256(token.encode()).hexdigest()


def check_console_type(protocol: str, console_type: str) -> None:
    """InvalidArgument unless this protocol and type are served (vnc / novnc)."""
    if protocol not in SUPPORTED:
        raise InvalidArgument(
            f"Unsupported console protocol {protocol!r}; supported: {', '.join(SUPPORTED)}."
        )
    if console_type not in SUPPORTED[protocol]:
        allowed = ", ".join(sorted(SUPPORTED[protocol]))
        raise InvalidArgument(
            f"Unsupported console type {console_type!r} for protocol {protocol!r}; "
            f"supported: {allowed}."
        )


def console_url(base_url: str, token: str) -> str:
    """The noVNC page URL that connects to the proxy's WebSocket with `token`.

    noVNC's `path` parameter is the WebSocket path relative to the page's host and port.
    """
    path = urllib.parse.quote(f"websockify?token={token}", safe="")
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}path={path}"


def _not_running(instance: t.Instance) -> str:
    return (
        f"Instance {instance.id} is not running "
        f"(vm_state {t.VmState.Name(instance.vm_state).removeprefix('VM_STATE_').lower()}, "
        f"power_state {t.PowerState.Name(instance.power_state).removeprefix('POWER_STATE_')})."
    )


class ConsoleApi:
    def __init__(
        self,
        store: Store,
        *,
        proxy_base_url: str = "http://127.0.0.1:6080/vnc_lite.html",
        token_ttl_seconds: int = 600,
        timeout_seconds: float = 15.0,
    ) -> None:
        if token_ttl_seconds < 1:
            raise ValueError("console token TTL must be at least 1 second")
        self.store = store
        self.proxy_base_url = proxy_base_url
        self.token_ttl_seconds = token_ttl_seconds
        self.timeout_seconds = timeout_seconds
        self._channels: dict[str, grpc.aio.Channel] = {}

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

    # -- the public operations ------------------------------------------------------

    async def get_console_output(
        self, ctx: RequestContext, server_id: str, length: int
    ) -> compute_pb2.GetConsoleOutputResponse:
        """The last `length` lines of the server's serial console (0: all that is kept)."""
        policy.enforce(ctx, "compute:get_console_output")
        if length < 0:
            raise InvalidArgument("length must be a positive number of lines, or 0 for all.")
        instance = await self._visible(ctx, server_id)
        if (
            not instance.host
            or instance.vm_state in (t.VM_STATE_BUILDING, t.VM_STATE_DELETED)
            or instance.task_state == t.TASK_STATE_DELETING
        ):
            raise Conflict(
                f"Instance {server_id} has no console output yet "
                f"(vm_state {t.VmState.Name(instance.vm_state).removeprefix('VM_STATE_').lower()})."
            )
        reply = await self._ask_agent(
            instance, conductor_pb2.GetConsoleRequest.KIND_OUTPUT, length=length
        )
        return compute_pb2.GetConsoleOutputResponse(output=reply.output)

    async def create_remote_console(
        self, ctx: RequestContext, server_id: str, protocol: str, console_type: str
    ) -> compute_pb2.RemoteConsole:
        """A console URL on the proxy with a fresh token bound to this server's VNC server."""
        policy.enforce(ctx, "compute:create_remote_console")
        check_console_type(protocol, console_type)
        instance = await self._visible(ctx, server_id)
        if not self._console_ready(instance):
            raise Conflict(_not_running(instance))
        reply = await self._ask_agent(instance, conductor_pb2.GetConsoleRequest.KIND_VNC)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires_ms = int(time.time() * 1000) + self.token_ttl_seconds * 1000
        record = conductor_pb2.ConsoleToken(
            instance_id=instance.id,
            host=instance.host,
            address=reply.address,
            port=reply.port,
            protocol=protocol,
            console_type=console_type,
            project_id=instance.project_id,
            expires_at_unix_ms=expires_ms,
        )
        lease = await self.store.etcd.grant_lease(self.token_ttl_seconds)
        key = token_key(token)
        result = await self.store.etcd.txn(
            [absent(key)], [put(key, record.SerializeToString(), lease)]
        )
        if not result.succeeded:  # 256 random bits collided: never in practice
            await self.store.etcd.revoke_lease(lease)
            raise Unavailable("could not store the console token; try again")
        TOKENS_ISSUED.inc()
        log.info(
            "console token issued",
            instance_id=instance.id,
            host=instance.host,
            port=reply.port,
            ttl_seconds=self.token_ttl_seconds,
        )
        return compute_pb2.RemoteConsole(
            protocol=protocol, type=console_type, url=console_url(self.proxy_base_url, token)
        )

    async def authorize(self, token: str) -> ConsoleTarget:
        """Where the proxy may connect for `token`; ConsoleRefused (with why) otherwise."""
        try:
            target = await self._authorize(token)
        except ConsoleRefused as refused:
            TOKENS_CHECKED.labels(refused.outcome).inc()
            log.info("console token refused", reason=refused.message)
            raise
        TOKENS_CHECKED.labels("accepted").inc()
        return target

    # -- internals ------------------------------------------------------------------

    async def _authorize(self, token: str) -> ConsoleTarget:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise ConsoleRefused("no valid console token given", "malformed")
        key = token_key(token)
        stored = await self.store.etcd.get(key)
        if stored is None:
            raise ConsoleRefused("the console token is unknown or has expired", "unknown")
        record = conductor_pb2.ConsoleToken()
        record.ParseFromString(stored.value)
        if record.expires_at_unix_ms <= int(time.time() * 1000):
            # The lease removes it too; etcd may take a moment longer than the TTL.
            await self.store.etcd.delete_key(key)
            raise ConsoleRefused("the console token has expired", "expired")
        found = await self.store.instances.get(record.instance_id)
        if found is None or found.message.vm_state == t.VM_STATE_DELETED:
            raise ConsoleRefused("the console token's server was deleted", "deleted")
        instance = found.message
        if instance.task_state == t.TASK_STATE_DELETING:
            raise ConsoleRefused("the console token's server is being deleted", "deleted")
        if instance.host != record.host:
            raise ConsoleRefused("the console token's server has moved", "moved")
        if not self._console_ready(instance):
            raise ConsoleRefused(_not_running(instance), "not_running")
        # Ask the host which VNC server the domain has now (Nova's validate_console_port).
        try:
            reply = await self._ask_agent(instance, conductor_pb2.GetConsoleRequest.KIND_VNC)
        except StratusError as error:
            raise ConsoleRefused(
                f"the server's console cannot be checked: {error.message}", "unchecked"
            ) from None
        if (reply.address, reply.port) != (record.address, record.port):
            raise ConsoleRefused(
                "the console token was issued for another VNC server than the one the "
                "server has now",
                "stale",
            )
        return ConsoleTarget(record.instance_id, record.host, record.address, record.port)

    @staticmethod
    def _console_ready(instance: t.Instance) -> bool:
        return (
            bool(instance.host)
            and instance.vm_state in _RUNNING_VM_STATES
            and instance.power_state in _CONSOLE_POWER_STATES
            and instance.task_state != t.TASK_STATE_DELETING
        )

    async def _visible(self, ctx: RequestContext, server_id: str) -> t.Instance:
        found = await self.store.instances.get(server_id) if server_id else None
        if found is None or not visible(ctx, found.message):
            raise NotFound(f"Instance {server_id} could not be found.")
        if found.message.vm_state == t.VM_STATE_DELETED:
            raise NotFound(f"Instance {server_id} could not be found.")
        return found.message

    async def _conductor_for(self, host: str) -> conductor_pb2_grpc.ConductorStub:
        """A stub for the conductor holding `host`'s agent stream."""
        alive = await self.store.etcd.get(keys.HOST_ALIVE + host)
        if alive is None:
            raise Unavailable(f"host {host} is not connected; its console cannot be reached")
        conductor_id = alive.value.decode()
        kv = await self.store.etcd.get(f"{keys.SERVICES}{CONDUCTOR_BINARY}/{conductor_id}")
        if kv is None:
            raise Unavailable(f"conductor {conductor_id} of host {host} is not running")
        record = t.ServiceRecord()
        record.ParseFromString(kv.value)
        channel = self._channels.get(record.grpc_endpoint)
        if channel is None:
            channel = grpc_client.channel(record.grpc_endpoint)
            self._channels[record.grpc_endpoint] = channel
        return conductor_pb2_grpc.ConductorStub(channel)

    async def _ask_agent(
        self,
        instance: t.Instance,
        kind: conductor_pb2.GetConsoleRequest.Kind,
        length: int = 0,
    ) -> conductor_pb2.GetConsoleResponse:
        stub = await self._conductor_for(instance.host)
        request = conductor_pb2.GetConsoleRequest(
            instance_id=instance.id, host=instance.host, kind=kind, length=length
        )
        try:
            reply: conductor_pb2.GetConsoleResponse = await stub.GetConsole(
                request, timeout=self.timeout_seconds
            )
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from error
        return reply

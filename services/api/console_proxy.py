"""The console proxy (Nova's nova-novncproxy): the noVNC web client and a WebSocket relay.

`GET /vnc_lite.html?path=websockify%3Ftoken%3D…` (or `/vnc.html`) serves noVNC, which
opens `ws://<proxy>/websockify?token=…` with the subprotocol "binary". For each WebSocket
the proxy has the token checked (`ConsoleApi.authorize`: known, unexpired, still the
server's current VNC server), connects to that VNC server over TCP and relays bytes both
ways until either side closes. A refused token never reaches a VNC server: the WebSocket
handshake is answered with HTTP 403.

The noVNC files come from `novnc_dir`, or the first of `NOVNC_DIRS` that has them
(`deploy/console/fetch-novnc.sh` puts them in the first).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Protocol

import structlog
from prometheus_client import Counter, Gauge
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from services.api.consoles import ConsoleTarget
from services.runtime.errors import StratusError

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
READ_CHUNK_BYTES = 64 * 1024
# WebSocket close code for a refused token (RFC 6455: policy violation).
POLICY_VIOLATION = 1008

CONNECTIONS = Counter(
    "stratus_console_proxy_connections_total",
    "WebSocket connections to the console proxy, by outcome.",
    ["outcome"],
)
ACTIVE = Gauge("stratus_console_proxy_active_connections", "Console sessions being relayed.")
RELAYED_BYTES = Counter(
    "stratus_console_proxy_relayed_bytes_total",
    "Bytes relayed by the console proxy, by direction.",
    ["direction"],
)


def novnc_dirs() -> list[Path]:
    """Where the noVNC web client is looked for, in order."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [cache / "stratus" / "novnc", Path("/usr/share/novnc")]


def find_novnc(configured: str = "") -> Path | None:
    """The configured noVNC directory, else the first candidate that has vnc_lite.html."""
    candidates = [Path(configured)] if configured else novnc_dirs()
    for candidate in candidates:
        if (candidate / "vnc_lite.html").is_file():
            return candidate
    return None


class Authorizer(Protocol):
    async def authorize(self, token: str) -> ConsoleTarget: ...


async def _pump_to_vnc(websocket: WebSocket, writer: asyncio.StreamWriter) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data is None:
            text = message.get("text")
            data = text.encode() if text is not None else b""
        if data:
            writer.write(data)
            await writer.drain()
            RELAYED_BYTES.labels("to_server").inc(len(data))


async def _pump_to_client(websocket: WebSocket, reader: asyncio.StreamReader) -> None:
    while True:
        data = await reader.read(READ_CHUNK_BYTES)
        if not data:
            return
        await websocket.send_bytes(data)
        RELAYED_BYTES.labels("to_client").inc(len(data))


def create_app(authorizer: Authorizer, novnc_dir: Path | None) -> Starlette:
    """The proxy's ASGI app: noVNC's files and the WebSocket relay."""

    async def relay(websocket: WebSocket) -> None:
        token = websocket.query_params.get("token", "")
        try:
            target = await authorizer.authorize(token)
        except StratusError as error:
            CONNECTIONS.labels("refused").inc()
            await websocket.close(code=POLICY_VIOLATION, reason=error.message[:120])
            return
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(target.address, target.port), CONNECT_TIMEOUT_SECONDS
            )
        except (OSError, TimeoutError) as error:
            CONNECTIONS.labels("unreachable").inc()
            log.warning(
                "VNC server unreachable",
                instance_id=target.instance_id,
                address=target.address,
                port=target.port,
                error=str(error) or type(error).__name__,
            )
            await websocket.close(code=1011, reason="the console server cannot be reached")
            return
        offered = websocket.scope.get("subprotocols") or []
        await websocket.accept(subprotocol="binary" if "binary" in offered else None)
        CONNECTIONS.labels("relayed").inc()
        ACTIVE.inc()
        log.info(
            "console session started",
            instance_id=target.instance_id,
            host=target.host,
            port=target.port,
        )
        pumps = [
            asyncio.create_task(_pump_to_vnc(websocket, writer)),
            asyncio.create_task(_pump_to_client(websocket, reader)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for pump in pumps:
                with contextlib.suppress(
                    asyncio.CancelledError, WebSocketDisconnect, OSError, RuntimeError
                ):
                    await pump
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            with contextlib.suppress(RuntimeError, OSError):
                await websocket.close()
            ACTIVE.dec()
            log.info("console session ended", instance_id=target.instance_id)

    async def index(request: Request) -> Response:
        if novnc_dir is None:
            return _no_client()
        query = request.url.query
        return RedirectResponse("/vnc_lite.html" + (f"?{query}" if query else ""))

    routes: list[Route | WebSocketRoute | Mount] = [
        WebSocketRoute("/websockify", relay),
        WebSocketRoute("/", relay),  # Nova's default path is "?token=…" on the root
        Route("/", index),
    ]
    if novnc_dir is not None:
        routes.append(Mount("/", StaticFiles(directory=novnc_dir), name="novnc"))
    else:
        routes.append(Route("/{path:path}", lambda request: _no_client()))
    return Starlette(routes=routes)


def _no_client() -> Response:
    return PlainTextResponse(
        "The noVNC web client is not installed on this console proxy. "
        "Run deploy/console/fetch-novnc.sh, or set novnc_dir.\n",
        status_code=503,
    )

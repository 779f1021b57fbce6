"""Real guests end to end: boot, lifecycle with real power states, serial output, VNC.

Every guest is the tiny Debian-kernel + busybox guest under qemu:///system (TCG here).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import libvirt
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from services.cli import real_guests
from stratus.v1 import compute_pb2, compute_pb2_grpc
from tests.e2e import browser
from tests.e2e.conftest import FLAVOR, TOKEN_TTL_SECONDS, RealCloud
from tests.integration.cloud import ADMIN_PASSWORD
from tests.waiting import eventually

MARKER = real_guests.BOOT_MARKER
RFB_BANNER = b"RFB 003.008\n"
BOOT_SECONDS = 60  # TCG boots the tiny guest to its marker in ~5 s; CI machines vary
CLI = shutil.which("openstack", path=str(Path(sys.executable).parent)) or shutil.which("openstack")
CLOUD_NAME = "stratus-e2e"


# -- helpers --------------------------------------------------------------------------


async def create_server(rest: httpx.AsyncClient, real: RealCloud, name: str) -> str:
    reply = await rest.post(
        "/servers",
        json={"server": {"name": name, "flavorRef": FLAVOR, "imageRef": real_guests.IMAGE_NAME}},
    )
    assert reply.status_code == 202, reply.text
    server_id: str = reply.json()["server"]["id"]
    real.created.append(server_id)
    return server_id


async def server(rest: httpx.AsyncClient, server_id: str) -> dict[str, Any]:
    reply = await rest.get(f"/servers/{server_id}")
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()["server"]
    return found


async def wait_status(
    rest: httpx.AsyncClient, server_id: str, status: str, power: int, within: float = 60
) -> dict[str, Any]:
    """Until the server shows `status` with no task and the hypervisor's `power` state."""

    async def reached() -> dict[str, Any] | None:
        found = await server(rest, server_id)
        assert found["status"] != "ERROR", found.get("fault")
        done = (
            found["status"] == status
            and found["OS-EXT-STS:task_state"] is None
            and found["OS-EXT-STS:power_state"] == power
        )
        return found if done else None

    return await eventually(reached, within_seconds=within, interval=0.1)


async def console_output(rest: httpx.AsyncClient, server_id: str, length: Any = None) -> str:
    body: dict[str, Any] = {"os-getConsoleOutput": {} if length is None else {"length": length}}
    reply = await rest.post(f"/servers/{server_id}/action", json=body)
    assert reply.status_code == 200, reply.text
    output: str = reply.json()["output"]
    return output


async def wait_markers(
    rest: httpx.AsyncClient, server_id: str, count: int, *, ready: bool = False
) -> str:
    """Until the serial log shows the boot marker `count` times (one per boot); with
    `ready`, also the login prompt after the last one. The guest prints its marker before
    it starts acpid: only at the prompt does it answer the ACPI power button."""

    async def seen() -> str | None:
        output = await console_output(rest, server_id)
        if output.count(f"{MARKER} ") < count:
            return None
        if ready and "login: " not in output.rsplit(f"{MARKER} ", 1)[-1]:
            return None
        return output

    return await eventually(seen, within_seconds=BOOT_SECONDS, interval=0.2)


async def remote_console(rest: httpx.AsyncClient, server_id: str) -> str:
    reply = await rest.post(
        f"/servers/{server_id}/remote-consoles",
        json={"remote_console": {"protocol": "vnc", "type": "novnc"}},
    )
    assert reply.status_code == 200, reply.text
    console = reply.json()["remote_console"]
    assert (console["protocol"], console["type"]) == ("vnc", "novnc")
    url: str = console["url"]
    return url


def websocket_url(real: RealCloud, console_url: str) -> str:
    """The WebSocket noVNC opens for a console URL (its `path` parameter)."""
    parsed = urllib.parse.urlparse(console_url)
    assert parsed.netloc == real.proxy
    path = urllib.parse.parse_qs(parsed.query)["path"][0]
    return f"ws://{real.proxy}/{path}"


async def rfb_banner(url: str) -> bytes:
    async with websockets.connect(url, subprotocols=["binary"], open_timeout=10) as ws:
        assert ws.subprotocol == "binary"
        banner = await asyncio.wait_for(ws.recv(), 10)
    assert isinstance(banner, bytes)
    return banner


async def refused(url: str) -> bool:
    """Whether the proxy refuses this WebSocket (HTTP 403 at the handshake)."""
    try:
        async with websockets.connect(url, subprotocols=["binary"], open_timeout=10):
            return False
    except InvalidStatus as error:
        return error.response.status_code == 403


def clouds_yaml(real: RealCloud, directory: Path) -> Path:
    """A clouds.yaml for the bootstrap admin, as a user of the stock CLI writes it."""
    config = {
        "clouds": {
            CLOUD_NAME: {
                "auth": {
                    "auth_url": f"{real.cloud.rest_url}/identity/v3",
                    "username": "admin",
                    "password": ADMIN_PASSWORD,
                    "project_name": "admin",
                    "user_domain_name": "Default",
                    "project_domain_name": "Default",
                },
                "region_name": "RegionOne",
                "interface": "public",
                "identity_api_version": 3,
            }
        }
    }
    path = directory / "clouds.yaml"
    path.write_text(json.dumps(config))
    return path


def openstack_json(config: Path, *args: str) -> Any:
    """`openstack <args> -f json`, configured by `config` alone (no OS_* from outside)."""
    assert CLI is not None
    env = {key: value for key, value in os.environ.items() if not key.startswith("OS_")}
    env |= {"OS_CLIENT_CONFIG_FILE": str(config), "OS_CLOUD": CLOUD_NAME}
    done = subprocess.run(
        [CLI, *args, "-f", "json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return json.loads(done.stdout)


def domain(instance_id: str) -> tuple[int, bool] | None:
    """The domain's libvirt state and whether it has a managed-save image; None: no domain."""
    conn = libvirt.open(real_guests.SYSTEM_URI)
    try:
        dom = conn.lookupByUUIDString(instance_id)
        state, _ = dom.state()
        return state, bool(dom.hasManagedSaveImage(0))
    except libvirt.libvirtError:
        return None
    finally:
        conn.close()


def vnc_port(instance_id: str) -> int:
    import xml.etree.ElementTree as ET

    conn = libvirt.open(real_guests.SYSTEM_URI)
    try:
        description = conn.lookupByUUIDString(instance_id).XMLDesc(0)
    finally:
        conn.close()
    graphics = ET.fromstring(description).find("devices/graphics[@type='vnc']")
    assert graphics is not None
    return int(graphics.get("port", "-1"))


async def action(rest: httpx.AsyncClient, server_id: str, body: dict[str, Any]) -> None:
    reply = await rest.post(f"/servers/{server_id}/action", json=body)
    assert reply.status_code == 202, reply.text


# Nova's power_state integers.
RUNNING, PAUSED, SHUTDOWN, SUSPENDED = 1, 3, 4, 7


# -- tests ----------------------------------------------------------------------------


async def test_a_real_guest_boots_to_its_marker(
    rest: httpx.AsyncClient, real_cloud: RealCloud
) -> None:
    hosts = await rest.get("/os-hypervisors/detail")
    assert hosts.status_code == 200, hosts.text

    began = time.monotonic()
    server_id = await create_server(rest, real_cloud, "boot1")
    found = await wait_status(rest, server_id, "ACTIVE", RUNNING)
    active = time.monotonic() - began
    await wait_markers(rest, server_id, 1)
    marker = time.monotonic() - began
    real_cloud.timings["time_to_active_seconds"] = round(active, 2)
    real_cloud.timings["time_to_boot_marker_seconds"] = round(marker, 2)
    assert domain(server_id) == (libvirt.VIR_DOMAIN_RUNNING, False)
    assert found["OS-EXT-STS:vm_state"] == "active"

    # The same serial log over gRPC, and only the last lines when asked.
    async with real_cloud.channel() as channel:
        stub = compute_pb2_grpc.ComputeStub(channel)
        # The guest may still be writing: the tail read first is inside the whole log read
        # after it (its end, unless more came in between).
        last = await stub.GetConsoleOutput(
            compute_pb2.GetConsoleOutputRequest(id=server_id, length=2)
        )
        reply = await stub.GetConsoleOutput(compute_pb2.GetConsoleOutputRequest(id=server_id))
        assert MARKER in reply.output
        assert len(last.output.splitlines()) <= 2
        assert last.output in reply.output
    assert len((await console_output(rest, server_id, 3)).splitlines()) <= 3
    assert MARKER in await console_output(rest, server_id, "-1")

    await rest.delete(f"/servers/{server_id}")
    await eventually(lambda: domain(server_id) is None, within_seconds=60)


async def test_power_actions_drive_the_real_guest(
    rest: httpx.AsyncClient, real_cloud: RealCloud
) -> None:
    server_id = await create_server(rest, real_cloud, "life1")
    await wait_status(rest, server_id, "ACTIVE", RUNNING)
    await wait_markers(rest, server_id, 1, ready=True)

    # Stop: ACPI power button, the guest powers itself off.
    began = time.monotonic()
    await action(rest, server_id, {"os-stop": None})
    await wait_status(rest, server_id, "SHUTOFF", SHUTDOWN)
    assert time.monotonic() - began < 25, "the guest did not answer the ACPI power button"
    assert domain(server_id) == (libvirt.VIR_DOMAIN_SHUTOFF, False)
    assert "ACPI power button: powering off" in await console_output(rest, server_id)

    await action(rest, server_id, {"os-start": None})
    await wait_status(rest, server_id, "ACTIVE", RUNNING)
    await wait_markers(rest, server_id, 2, ready=True)

    # A soft reboot reaches the guest (ACPI again) and it boots anew: a third marker.
    await action(rest, server_id, {"reboot": {"type": "SOFT"}})
    await wait_status(rest, server_id, "ACTIVE", RUNNING)
    await wait_markers(rest, server_id, 3)
    await action(rest, server_id, {"reboot": {"type": "HARD"}})
    await wait_status(rest, server_id, "ACTIVE", RUNNING)
    await wait_markers(rest, server_id, 4)

    await action(rest, server_id, {"pause": None})
    await wait_status(rest, server_id, "PAUSED", PAUSED)
    assert domain(server_id) == (libvirt.VIR_DOMAIN_PAUSED, False)
    await action(rest, server_id, {"unpause": None})
    await wait_status(rest, server_id, "ACTIVE", RUNNING)

    await action(rest, server_id, {"suspend": None})
    await wait_status(rest, server_id, "SUSPENDED", SUSPENDED)
    assert domain(server_id) == (libvirt.VIR_DOMAIN_SHUTOFF, True)
    await action(rest, server_id, {"resume": None})
    await wait_status(rest, server_id, "ACTIVE", RUNNING)
    assert domain(server_id) == (libvirt.VIR_DOMAIN_RUNNING, False)

    # A change made outside Stratus arrives as a libvirt event: the guest is shut down
    # behind the API's back and the server follows.
    await wait_markers(rest, server_id, 4)
    conn = libvirt.open(real_guests.SYSTEM_URI)
    try:
        conn.lookupByUUIDString(server_id).destroy()
    finally:
        conn.close()
    await wait_status(rest, server_id, "SHUTOFF", SHUTDOWN, within=15)

    await rest.delete(f"/servers/{server_id}")
    await eventually(lambda: domain(server_id) is None, within_seconds=60)
    reply = await rest.get(f"/servers/{server_id}")
    assert reply.status_code == 404


async def test_vnc_console_through_the_proxy_and_its_tokens(
    rest: httpx.AsyncClient, real_cloud: RealCloud
) -> None:
    first = await create_server(rest, real_cloud, "vnc1")
    await wait_status(rest, first, "ACTIVE", RUNNING)

    url = await remote_console(rest, first)
    assert await rfb_banner(websocket_url(real_cloud, url)) == RFB_BANNER
    # The older action gives a URL that works the same way.
    reply = await rest.post(
        f"/servers/{first}/action", json={"os-getVNCConsole": {"type": "novnc"}}
    )
    assert reply.status_code == 200, reply.text
    old_style = reply.json()["console"]
    assert old_style["type"] == "novnc"
    assert await rfb_banner(websocket_url(real_cloud, old_style["url"])) == RFB_BANNER
    # The proxy serves the noVNC client the URL points at.
    async with httpx.AsyncClient(timeout=10) as client:
        page = await client.get(url)
        assert page.status_code == 200 and "noVNC" in page.text
        assert (await client.get(f"http://{real_cloud.proxy}/core/rfb.js")).status_code == 200

    # Unknown and malformed tokens.
    assert await refused(f"ws://{real_cloud.proxy}/websockify?token=not-a-token")
    assert await refused(f"ws://{real_cloud.proxy}/websockify")

    # Expiry: a token works until its TTL has passed, then never again.
    expiring = websocket_url(real_cloud, await remote_console(rest, first))
    issued = time.monotonic()
    assert await rfb_banner(expiring) == RFB_BANNER
    await eventually(lambda: refused(expiring), within_seconds=TOKEN_TTL_SECONDS + 10, interval=0.5)
    assert time.monotonic() - issued >= TOKEN_TTL_SECONDS - 1

    # Another server: once the first stops, its token must not reach whatever VNC server
    # takes over its port, even the second server's own.
    stale = websocket_url(real_cloud, await remote_console(rest, first))
    old_port = vnc_port(first)
    await action(rest, first, {"os-stop": None})
    await wait_status(rest, first, "SHUTOFF", SHUTDOWN)
    second = await create_server(rest, real_cloud, "vnc2")
    await wait_status(rest, second, "ACTIVE", RUNNING)
    own = websocket_url(real_cloud, await remote_console(rest, second))
    # libvirt hands out the lowest free port: the second server usually gets the first's.
    taken_over = vnc_port(second) == old_port
    assert await refused(stale), f"stale token accepted (port taken over: {taken_over})"
    assert await rfb_banner(own) == RFB_BANNER

    # A deleted server's token is refused.
    await rest.delete(f"/servers/{second}")
    await eventually(lambda: domain(second) is None, within_seconds=60)
    assert await refused(own)

    # Bad requests change nothing and say why.
    stopped = await rest.post(
        f"/servers/{first}/remote-consoles",
        json={"remote_console": {"protocol": "vnc", "type": "novnc"}},
    )
    assert stopped.status_code == 409, stopped.text
    await rest.delete(f"/servers/{first}")


@pytest.mark.skipif(CLI is None, reason="the openstack command is not installed")
async def test_openstack_cli_console_url_leads_to_the_guest(
    rest: httpx.AsyncClient, real_cloud: RealCloud, tmp_path: Path
) -> None:
    server_id = await create_server(rest, real_cloud, "osc-vnc1")
    await wait_status(rest, server_id, "ACTIVE", RUNNING)

    config = clouds_yaml(real_cloud, tmp_path)
    console = await asyncio.to_thread(
        openstack_json, config, "console", "url", "show", "--novnc", "osc-vnc1"
    )
    assert console["type"] == "novnc", console
    url = console["url"]
    assert urllib.parse.urlparse(url).netloc == real_cloud.proxy, url
    assert await rfb_banner(websocket_url(real_cloud, url)) == RFB_BANNER
    # The page the URL names is the noVNC client, served by the same proxy.
    async with httpx.AsyncClient(timeout=10) as client:
        page = await client.get(url)
    assert page.status_code == 200 and "noVNC" in page.text

    await rest.delete(f"/servers/{server_id}")
    await eventually(lambda: domain(server_id) is None, within_seconds=60)


async def test_bad_console_requests_get_clear_errors(
    rest: httpx.AsyncClient, real_cloud: RealCloud
) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    body = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    reply = await rest.post(f"/servers/{missing}/remote-consoles", json=body)
    assert reply.status_code == 404
    assert reply.json()["itemNotFound"]["message"]
    reply = await rest.post(f"/servers/{missing}/action", json={"os-getConsoleOutput": {}})
    assert reply.status_code == 404
    for bad in (
        {"remote_console": {"protocol": "spice", "type": "novnc"}},
        {"remote_console": {"protocol": "vnc", "type": "xvpvnc"}},
        {"remote_console": {"protocol": "vnc"}},
        {"console": {}},
    ):
        reply = await rest.post(f"/servers/{missing}/remote-consoles", json=bad)
        assert reply.status_code == 400, (bad, reply.text)
        assert reply.json()["badRequest"]["message"]
    for length in ("ten", -5, 1.5, True):
        reply = await rest.post(
            f"/servers/{missing}/action", json={"os-getConsoleOutput": {"length": length}}
        )
        assert reply.status_code == 400, (length, reply.text)


@pytest.mark.skipif(
    not browser.available(), reason="chromium and chromium-driver are not installed"
)
async def test_a_browser_shows_the_guest_screen(
    rest: httpx.AsyncClient, real_cloud: RealCloud
) -> None:
    server_id = await create_server(rest, real_cloud, "screen1")
    await wait_status(rest, server_id, "ACTIVE", RUNNING)
    await wait_markers(rest, server_id, 1)
    driver = await asyncio.to_thread(browser.Browser, real_cloud.artifacts / "chromedriver.log")
    try:
        url = await remote_console(rest, server_id)
        await asyncio.to_thread(driver.open, url)
        status = await eventually(lambda: _connected(driver), within_seconds=20, interval=0.2)
        # Wait for the guest's text (its login banner among it) to be drawn.
        lit = await eventually(
            lambda: asyncio.to_thread(_lit_pixels, driver, 2000), within_seconds=20, interval=0.3
        )
        png = await asyncio.to_thread(driver.screenshot)
    finally:
        await asyncio.to_thread(driver.close)
    shot = real_cloud.artifacts / "console.png"
    shot.write_bytes(png)
    assert status.startswith("Connected to QEMU"), status
    picture = browser.decode_png(png)
    # noVNC draws the guest's 720x400 text screen in the middle of the page: light text on
    # black beside noVNC's own bar and background, not one flat color or an error page.
    colors = picture.colors()
    assert len(colors) > 8, f"screenshot looks blank: {len(colors)} colors ({shot})"
    middle = picture.colors(
        (picture.width // 4, picture.height // 4, picture.width * 3 // 4, picture.height * 3 // 4)
    )
    black = middle.get((0, 0, 0), 0)
    assert black > sum(middle.values()) // 3, f"no guest screen in the middle of {shot}"
    assert lit > 2000, f"the guest's screen has only {lit} lit pixels ({shot})"
    await rest.delete(f"/servers/{server_id}")


async def _connected(driver: browser.Browser) -> str | None:
    """noVNC's status line once it says Connected; fails at once on an error."""

    def read() -> str:
        return str(
            driver.script(
                "const s = document.getElementById('status'); return s ? s.textContent : ''"
            )
            or ""
        )

    text = await asyncio.to_thread(read)
    assert "Failed" not in text and "Disconnected" not in text, text
    return text if text.startswith("Connected") else None


def _lit_pixels(driver: browser.Browser, at_least: int) -> int:
    """Bright pixels on noVNC's canvas (the guest's text), or 0 while fewer than `at_least`."""
    count = driver.script(
        """
        const canvas = document.querySelector('canvas');
        if (!canvas || !canvas.width) return 0;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let lit = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i] + data[i + 1] + data[i + 2] > 150) lit++;
        }
        return lit;
        """
    )
    lit = int(count or 0)
    return lit if lit >= at_least else 0

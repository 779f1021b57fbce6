"""What running real guests on this machine takes: libvirtd, the tiny guest, noVNC.

`stratus up --hypervisor qemu` and the e2e tests share these steps:

1. `deploy/libvirt/setup.sh`: packages, the libvirt-qemu user, qemu.conf (idempotent);
2. libvirtd: used if qemu:///system already answers, else started by the caller and
   stopped by it again (see `libvirtd_argv`);
3. `deploy/guest/build.sh`: the tiny guest (Debian kernel + busybox initramfs), built once
   and cached; its `image.json` holds the image properties to register;
4. `deploy/console/fetch-novnc.sh`: the noVNC web client for the console proxy.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from stratus.v1 import compute_pb2, compute_pb2_grpc, types_pb2

SYSTEM_URI = "qemu:///system"
# `--hypervisor` shorthands.
HYPERVISOR_ALIASES = {"qemu": SYSTEM_URI, "kvm": SYSTEM_URI}
LIBVIRTD = "/usr/sbin/libvirtd"
IMAGE_NAME = "stratus-tiny"
IMAGE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "stratus:image:stratus-tiny"))
BOOT_MARKER = "STRATUS-GUEST-BOOTED"


class SetupError(Exception):
    """A preparation step failed; the message says which and shows its output."""


def repo_root() -> Path:
    """The checkout this code runs from (deploy/ lives beside services/)."""
    return Path(__file__).resolve().parents[2]


def deploy_script(*parts: str) -> Path:
    return repo_root().joinpath("deploy", *parts)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stratus"


def resolve_hypervisor(value: str) -> str:
    """`qemu` (or `kvm`) means qemu:///system; anything else is kept as it is."""
    return HYPERVISOR_ALIASES.get(value, value)


def _run(argv: list[str], what: str, timeout_seconds: float) -> str:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout_seconds, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SetupError(f"{what} failed: {error}") from None
    if done.returncode != 0:
        output = (done.stderr + done.stdout).strip()[-3000:]
        raise SetupError(f"{what} failed (exit code {done.returncode}):\n{output}")
    return done.stdout


def setup_libvirt(timeout_seconds: float = 600.0) -> None:
    """Packages, user and qemu.conf for libvirtd (deploy/libvirt/setup.sh)."""
    _run([str(deploy_script("libvirt", "setup.sh"))], "libvirt setup", timeout_seconds)


def libvirt_answers(uri: str = SYSTEM_URI) -> bool:
    """Whether a libvirt connection to `uri` opens now."""
    import libvirt

    with contextlib.suppress(Exception):
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError:
        return False
    conn.close()
    return True


def libvirtd_argv() -> list[str]:
    """libvirtd in the foreground: its starter supervises and stops it."""
    if not Path(LIBVIRTD).exists():
        raise SetupError(f"{LIBVIRTD} is missing: run deploy/libvirt/setup.sh")
    return [LIBVIRTD]


@dataclass(frozen=True)
class GuestImage:
    """The tiny guest as built: where its files are and the image to register."""

    kernel_path: str
    initrd_path: str
    document: dict[str, Any]

    def image(self) -> types_pb2.Image:
        doc = self.document
        return types_pb2.Image(
            id=IMAGE_ID,
            name=str(doc.get("name", IMAGE_NAME)),
            status="active",
            disk_format=str(doc.get("disk_format", "ami")),
            container_format=str(doc.get("container_format", "bare")),
            size_bytes=int(doc.get("size_bytes", 0)),
            min_ram_mb=int(doc.get("min_ram_mb", 0)),
            visibility="public",
            properties={str(k): str(v) for k, v in doc.get("properties", {}).items()},
        )


def build_guest(out_dir: Path | None = None, timeout_seconds: float = 600.0) -> GuestImage:
    """Build (or find cached) the tiny guest; deploy/guest/build.sh."""
    target = out_dir or cache_dir() / "guest"
    stdout = _run(
        [str(deploy_script("guest", "build.sh")), str(target)],
        "building the guest",
        timeout_seconds,
    )
    try:
        document = json.loads(stdout)
        properties = document["properties"]
        return GuestImage(properties["kernel_path"], properties["initrd_path"], document)
    except (ValueError, KeyError, TypeError) as error:
        raise SetupError(f"deploy/guest/build.sh printed no image description: {error}") from None


def fetch_novnc(out_dir: Path | None = None, timeout_seconds: float = 300.0) -> Path:
    """The noVNC web client for the console proxy; deploy/console/fetch-novnc.sh."""
    target = out_dir or cache_dir() / "novnc"
    _run(
        [str(deploy_script("console", "fetch-novnc.sh")), str(target)],
        "fetching noVNC",
        timeout_seconds,
    )
    return target


async def register_image(
    stub: compute_pb2_grpc.ComputeStub, guest: GuestImage, timeout_seconds: float = 10.0
) -> bool:
    """Register the tiny guest's image through the API; False if it is already there."""
    try:
        await stub.CreateImage(
            compute_pb2.CreateImageRequest(image=guest.image()), timeout=timeout_seconds
        )
    except grpc.aio.AioRpcError as error:
        if error.code() in (grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION):
            return False
        raise
    return True

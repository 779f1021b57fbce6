"""A real Prometheus for a test: Debian's binary on a free loopback port, a temporary
storage directory, and the project's scrape config pointed at a test cloud's /metrics.

The scrape config is deploy/prometheus/prometheus.yml itself with each job's target moved
to the port the test cloud's service listens on, and a 1 s scrape interval, so the jobs and
labels a dashboard or an alert sees are the ones an operator's Prometheus has.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from services.state.etcd_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
BINARY = "/usr/bin/prometheus"
JOB_PREFIX = "stratus-"


def ensure_installed() -> str:
    """The prometheus binary; installed from Debian's package if missing, as ./dev does
    (root or sudo). Only the binary is used: the package's own service is never started."""
    found = shutil.which("prometheus") or (BINARY if os.path.exists(BINARY) else None)
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"],
        check=True,
        env=env,
    )
    return BINARY


def scrape_config(metrics_ports: dict[str, int], interval: str = "1s") -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with every `stratus-<service>` job scraping
    127.0.0.1:<that service's metrics port> every `interval`; rule files left out."""
    config: dict[str, Any] = yaml.safe_load(SCRAPE_CONFIG.read_text())
    config["global"]["scrape_interval"] = interval
    config["global"]["evaluation_interval"] = interval
    config.pop("rule_files", None)
    for job in config["scrape_configs"]:
        service = job["job_name"].removeprefix(JOB_PREFIX)
        for static in job["static_configs"]:
            static["targets"] = [f"127.0.0.1:{metrics_ports[service]}"]
    return config


@dataclass
class Prometheus:
    root: Path
    config: dict[str, Any]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        binary = ensure_installed()
        self.root.mkdir(parents=True, exist_ok=True)
        config_file = self.root / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(self.config))
        self.port = free_port()
        log = open(self.root / "prometheus.log", "ab")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={self.root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited:\n{self.log_tail()}")
            try:
                if self._client.get(f"{self.url}/-/ready").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"prometheus did not become ready:\n{self.log_tail()}")

    def stop(self) -> None:
        self._client.close()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "prometheus.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector of `expr` now (`/api/v1/query`); raises on a bad query."""
        reply = self._client.get(f"{self.url}/api/v1/query", params={"query": expr})
        body = reply.json()
        if body.get("status") != "success":
            raise AssertionError(f"query {expr!r} failed: {body.get('error', body)}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def targets_up(self) -> dict[str, str]:
        """Each scrape job's target health (up, down, unknown)."""
        reply = self._client.get(f"{self.url}/api/v1/targets").json()
        return {t["labels"]["job"]: t["health"] for t in reply["data"]["activeTargets"]}

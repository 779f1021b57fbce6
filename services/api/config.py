"""Configuration of stratus-api."""

from __future__ import annotations

from dataclasses import dataclass

from services.runtime.config import CommonConfig


@dataclass(frozen=True)
class ApiConfig(CommonConfig):
    grpc_port: int = 8780
    rest_port: int = 8774  # 0: no REST gateway
    # Base URL clients see in links (`next`, `self`); empty: derived from the request.
    public_url: str = ""
    max_servers_per_request: int = 100
    conductor_timeout_seconds: float = 5.0
    # The operator's overrides of the policy table (JSON, or YAML's flat "action": "rule"
    # mapping); empty: the defaults of services/api/policy.py.
    policy_file: str = ""
    # The console proxy (Nova's novncproxy): noVNC and the WebSocket relay; 0: none.
    console_proxy_port: int = 6080
    # Address the proxy binds; empty: bind_host.
    console_proxy_host: str = ""
    # The noVNC page in console URLs (Nova's novncproxy_base_url); empty:
    # http://<proxy host>:<proxy port>/vnc_lite.html.
    console_base_url: str = ""
    # How long a console token may be used to open a console (Nova's 600 s).
    console_token_ttl_seconds: int = 600
    # Where the noVNC web client's files are; empty: the first directory that has them of
    # ~/.cache/stratus/novnc (deploy/console/fetch-novnc.sh) and /usr/share/novnc.
    novnc_dir: str = ""
    # Tokens live this long (Keystone's default: one hour). Every api must agree.
    token_lifetime_seconds: int = 3600
    # When set (use STRATUS_BOOTSTRAP_ADMIN_PASSWORD, not a flag), the api creates the
    # admin user and project on start if they are missing; an existing admin keeps its password.
    bootstrap_admin_password: str = ""

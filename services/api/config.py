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

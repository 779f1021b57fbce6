"""The REST gateway: Nova's Compute v2.1 and Glance v2 image shapes over the service layer."""

from services.api.rest.app import create_app, request_context

__all__ = ["create_app", "request_context"]

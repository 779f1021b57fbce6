"""structlog set up once per process: JSON lines in production, readable on a terminal."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(service: str, *, log_format: str = "auto", level: str = "info") -> None:
    """Route structlog and the standard library's logging through one renderer.

    Every line carries `service`, a timestamp, the level and, inside a request, its
    `request_id` (bound by the gRPC interceptors through contextvars).
    """
    as_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(),
            # Locals of every frame are slow to render and would print request contents.
            exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False),
        )
    )
    if as_json:
        shared.append(structlog.processors.format_exc_info)
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    # Third-party chatter stays at warning.
    for noisy in ("aetcd", "grpc", "uvicorn.access", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

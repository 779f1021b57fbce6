"""Typed configuration: frozen dataclasses loaded from file, environment and flags.

Precedence, lowest first: the dataclass defaults, a TOML file (top-level keys apply to every
service, a `[<service>]` table to one), environment variables `STRATUS_<FIELD>`, then
command-line flags `--<field-with-dashes>`. Unknown keys and values of the wrong type stop
the process with a message naming them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ENV_PREFIX = "STRATUS_"
CONFIG_FILE_ENV = "STRATUS_CONFIG"


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class CommonConfig:
    """What every process shares."""

    etcd_endpoints: str = "127.0.0.1:2379"  # comma-separated host:port list
    bind_host: str = "127.0.0.1"
    metrics_port: int = 0  # 0: no /metrics endpoint
    log_format: str = "auto"  # auto (json unless on a terminal), json or console
    log_level: str = "info"
    service_lease_ttl_seconds: int = 10
    # OTLP/gRPC collector for traces (e.g. http://127.0.0.1:4317); "" leaves tracing to the
    # standard OTEL_EXPORTER_OTLP_ENDPOINT, and off when that is unset too.
    otlp_endpoint: str = ""
    hostname: str = dataclasses.field(default_factory=lambda: os.uname().nodename)


def _field_type(cls: type, field: dataclasses.Field[Any]) -> type:
    hints = typing.get_type_hints(cls)
    hint = hints[field.name]
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return typing.cast(type, hint)


def _coerce(name: str, kind: type, raw: Any) -> Any:
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        try:
            if kind is bool:
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            if kind in (int, float):
                return kind(text)
            if kind is str:
                return text
        except ValueError:
            pass
    if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    raise ConfigError(f"config {name!r}: expected {kind.__name__}, got {raw!r}")


def _apply(cls: type[T], values: dict[str, Any], source: Mapping[str, Any], origin: str) -> None:
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key, raw in source.items():
        name = key.replace("-", "_")
        if name not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"unknown config key {key!r} in {origin}; known keys: {known}")
        values[name] = _coerce(name, _field_type(cls, fields[name]), raw)


def add_flags(parser: argparse.ArgumentParser, cls: type) -> None:
    """One `--field-name` flag per config field; help shows the default."""
    for field in dataclasses.fields(cls):
        default = field.default if field.default is not dataclasses.MISSING else "(computed)"
        parser.add_argument(
            "--" + field.name.replace("_", "-"),
            dest=field.name,
            default=None,
            metavar=_field_type(cls, field).__name__.upper(),
            help=f"default: {default}",
        )


def load(
    cls: type[T],
    section: str,
    *,
    file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> T:
    """Build `cls` from defaults, the TOML file, environment and flags, in that order."""
    values: dict[str, Any] = {}
    environ = os.environ if environ is None else environ
    path = file or environ.get(CONFIG_FILE_ENV)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    if path:
        try:
            document = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        shared = {k: v for k, v in document.items() if not isinstance(v, dict) and k in names}
        _apply(cls, values, shared, str(path))
        own = document.get(section, {})
        if not isinstance(own, dict):
            raise ConfigError(f"[{section}] in {path} must be a table")
        _apply(cls, values, own, f"{path} [{section}]")
    env_values = {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() in names
    }
    _apply(cls, values, env_values, "environment")
    _apply(cls, values, {k: v for k, v in (flags or {}).items() if v is not None}, "flags")
    return cls(**values)


def parse_args(
    cls: type[T], section: str, description: str, argv: Sequence[str] | None = None
) -> T:
    """The command line of a service process: `--config FILE` and one flag per field."""
    parser = argparse.ArgumentParser(prog=f"stratus-{section}", description=description)
    parser.add_argument("--config", help=f"TOML config file (or ${CONFIG_FILE_ENV})")
    add_flags(parser, cls)
    args = vars(parser.parse_args(argv))
    file = args.pop("config")
    try:
        return load(cls, section, file=file, flags=args)
    except ConfigError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits

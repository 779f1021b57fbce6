"""Shape checks on request bodies and query strings, each failure a 400 naming the problem.

The gateway checks shape only (JSON syntax, required keys, types); the service layer checks
meaning (names, counts, existence). Accepted forms follow Nova's JSON schemas: integers may
come as digit strings, booleans as Nova's boolean strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from google.protobuf import timestamp_pb2

from services.api.rest.errors import ApiError, BadRequest

JSON_CONTENT_TYPES = frozenset({"application/json", "application/vnd.openstack.compute+json"})

_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})


def invalid(field: str, value: Any, reason: str) -> BadRequest:
    """Nova's wording for a field that fails its schema."""
    return BadRequest(f"Invalid input for field/attribute {field}. Value: {value!r}. {reason}")


async def json_body(request: Request) -> Any:
    """The request's JSON document; 415 for a non-JSON content type, 400 for bad JSON."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_CONTENT_TYPES:
        raise ApiError(415, f"Unsupported Content-Type {content_type!r}: send application/json.")
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("Malformed request body: the body is empty; a JSON object is required.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Malformed request body: {exc}") from None


def require_object(document: Any, key: str) -> dict[str, Any]:
    """`document[key]`, which must be present and a JSON object (`{"server": {...}}`)."""
    if not isinstance(document, dict):
        raise BadRequest(
            f"Malformed request body: expected a JSON object with the key {key!r}, "
            f"got {type(document).__name__}."
        )
    if key not in document:
        raise BadRequest(f"'{key}' is a required property")
    value = document[key]
    if not isinstance(value, dict):
        raise invalid(key, value, f"{value!r} is not of type 'object'")
    return value


def require_list(document: Any, key: str) -> list[Any]:
    """`document[key]`, which must be present and a JSON array (`{"tags": [...]}`)."""
    if not isinstance(document, dict):
        raise BadRequest(
            f"Malformed request body: expected a JSON object with the key {key!r}, "
            f"got {type(document).__name__}."
        )
    if key not in document:
        raise BadRequest(f"'{key}' is a required property")
    value = document[key]
    if not isinstance(value, list):
        raise invalid(key, value, f"{value!r} is not of type 'array'")
    return value


def string(obj: Mapping[str, Any], key: str, *, required: bool = False, default: str = "") -> str:
    if key not in obj or obj[key] is None:
        if required:
            raise BadRequest(f"'{key}' is a required property")
        return default
    value = obj[key]
    if not isinstance(value, str):
        raise invalid(key, value, f"{value!r} is not of type 'string'")
    return value


def reference(obj: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    """An id, a name or a URL ending in the id (its last path segment), as flavorRef takes."""
    value = obj.get(key)
    if value is None:
        if required:
            raise BadRequest(f"'{key}' is a required property")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(key, value, f"{value!r} is not of type 'string', 'integer'")
    text = str(value).strip()
    if "://" in text or text.startswith("/"):
        text = text.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not text:
        raise invalid(key, value, "A reference must not be empty.")
    return text


def integer(
    obj: Mapping[str, Any],
    key: str,
    *,
    minimum: int,
    required: bool = False,
    default: int = 0,
) -> int:
    """An integer (or a string of digits, as Nova accepts) not below `minimum`."""
    if key not in obj or (obj[key] is None and not required):
        if required:
            raise BadRequest(f"'{key}' is a required property")
        return default
    value = obj[key]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None:
        raise invalid(key, value, f"{value!r} is not of type 'integer'")
    if number < minimum:
        raise invalid(key, value, f"{number} is less than the minimum of {minimum}")
    if number > 2**31 - 1:
        raise invalid(key, value, f"{number} is greater than the maximum of {2**31 - 1}")
    return number


def number(obj: Mapping[str, Any], key: str, *, default: float) -> float:
    """A positive number (`rxtx_factor`)."""
    if key not in obj or obj[key] is None:
        return default
    value = obj[key]
    parsed: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        parsed = float(value)
    elif isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise invalid(key, value, f"{value!r} is not of type 'number'")
    if not parsed > 0:
        raise invalid(key, value, f"{parsed} is less than or equal to the minimum of 0")
    return parsed


def boolean_value(field: str, value: Any) -> bool:
    """A JSON boolean, or one of Nova's boolean strings ("true", "yes", "1", ...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise invalid(field, value, f"{value!r} is not of type 'boolean'")


def boolean(obj: Mapping[str, Any], key: str, *, default: bool) -> bool:
    if key not in obj or obj[key] is None:
        return default
    return boolean_value(key, obj[key])


def string_map(obj: Mapping[str, Any], key: str) -> dict[str, str]:
    """A JSON object of strings (`metadata`)."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(key, value, f"{value!r} is not of type 'object'")
    for item_key, item in value.items():
        if not isinstance(item, str):
            raise invalid(f"{key}.{item_key}", item, f"{item!r} is not of type 'string'")
    return dict(value)


def string_list(obj: Mapping[str, Any], key: str) -> list[str]:
    """A string or a list of strings (`same_host`), as a list."""
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise invalid(key, value, f"{value!r} is not of type 'string', 'array' of strings")


def only_keys(obj: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """Nova's `additionalProperties: False`: a key outside `allowed` is a 400."""
    extra = sorted(k for k in obj if k not in allowed)
    if extra:
        listed = ", ".join(repr(k) for k in extra)
        raise BadRequest(
            f"Invalid input for field/attribute {where}. "
            f"Additional properties are not allowed ({listed} was unexpected)"
        )


def single_action(body: Any, allowed: tuple[str, ...]) -> tuple[str, Any]:
    """The one `{action: value}` of an action body; 400 for none, several or unknown."""
    if not isinstance(body, dict) or not body:
        raise BadRequest("Malformed request body: expected a JSON object with one action key.")
    if len(body) != 1:
        raise BadRequest(
            f"Malformed request body: too many body keys ({', '.join(sorted(body))}); "
            "send one action per request."
        )
    ((key, value),) = body.items()
    if key not in allowed:
        raise BadRequest(f"There is no such action: {key}")
    return key, value


# ---------------------------------------------------------------------------- query strings


def query_int(request: Request, key: str) -> int | None:
    """A non-negative integer query parameter (`limit`), None when absent."""
    raw = request.query_params.get(key)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{key} param must be an integer") from None
    if value < 0:
        raise BadRequest(f"{key} param must be positive")
    return value


def query_flag(request: Request, key: str) -> bool:
    """A flag parameter as Nova reads `all_tenants`: present and empty means true."""
    if key not in request.query_params:
        return False
    raw = request.query_params[key]
    if raw == "":
        return True
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadRequest(f"Invalid value {raw!r} for {key}: expected a boolean.")


def parse_timestamp(key: str, raw: str) -> timestamp_pb2.Timestamp:
    """An ISO 8601 time (`changes-since`); a time without an offset is UTC."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequest(
            f"Invalid input for query parameter {key}. Value: {raw}. "
            f"{raw!r} is not an ISO 8601 date-time."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp

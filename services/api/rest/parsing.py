"""Shape checks on request bodies and query strings, each failure a 400 naming the problem.

The gateway checks shape only (JSON syntax, required keys, types); the service layer checks
meaning (names, counts, existence). Accepted forms follow Nova's JSON schemas: integers may
come as digit strings, booleans as Nova's boolean strings.

A body is refused before it is parsed when it is larger than Nova's request size limit or
nests deeper than any Compute body does, so no request can exhaust the parser's stack; after
parsing, text that is not valid Unicode (an unpaired surrogate written as a \\u escape) and
JSON's non-standard NaN and Infinity are refused as well, so every string that reaches the
service layer can be stored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from google.protobuf import timestamp_pb2

from services.api import validation
from services.api.rest.errors import ApiError, BadRequest

JSON_CONTENT_TYPES = frozenset({"application/json", "application/vnd.openstack.compute+json"})

# Nova's request size limit (oslo.middleware's max_request_body_size): 112 KiB.
MAX_BODY_BYTES = 114_688
# Compute bodies nest at most 5 deep; 32 leaves room and keeps every walk over them shallow.
MAX_JSON_DEPTH = validation.MAX_JSON_DEPTH
# The largest value of Nova's integer columns (nova/db/constants.py MAX_INT).
MAX_INT = 2**31 - 1
# The largest float a single-precision column holds (Nova's SQL_SP_FLOAT_MAX).
MAX_FLOAT = 3.40282e38

_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")

_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})


def invalid(field: str, value: Any, reason: str) -> BadRequest:
    """Nova's wording for a field that fails its schema."""
    return BadRequest(f"Invalid input for field/attribute {field}. Value: {value!r}. {reason}")


async def json_body(request: Request) -> Any:
    """The request's JSON document; 415 for a non-JSON content type, 413 for a body over
    Nova's size limit, 400 for anything that is not a JSON document Stratus can store."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_CONTENT_TYPES:
        raise ApiError(415, f"Unsupported Content-Type {content_type!r}: send application/json.")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"Request is too large: the limit is {MAX_BODY_BYTES} bytes.")
    return decode_json(raw)


def digits_value(text: str) -> int:
    """The value of a string of ASCII digits; one with more digits than any 64-bit number
    has counts as 2**64 (Python refuses to convert very long digit strings at all)."""
    return int(text) if len(text) <= 20 else 2**64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _unicode_problem(document: Any) -> str:
    """The first string (key or value) that is not valid Unicode, "" when all are."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return item.encode("utf-8", "backslashreplace").decode("ascii")
    return ""


def decode_json(raw: bytes | str, what: str = "request body") -> Any:
    """A JSON text as Python values; BadRequest naming the problem when it is not JSON,
    nests deeper than MAX_JSON_DEPTH, uses NaN or Infinity, or holds an unpaired surrogate."""
    if not raw.strip():
        raise BadRequest(f"Malformed {what}: the body is empty; a JSON object is required.")
    if validation.json_depth(raw) > MAX_JSON_DEPTH:
        raise BadRequest(
            f"Malformed {what}: arrays and objects nest more than {MAX_JSON_DEPTH} levels deep."
        )
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest(f"Malformed {what}: {exc}") from None
    problem = _unicode_problem(document)
    if problem:
        raise BadRequest(
            f"Malformed {what}: the text {problem} holds an unpaired surrogate, which is not "
            "valid Unicode."
        )
    return document


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
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = digits_value(value.strip())
    if number is None:
        raise invalid(key, value, f"{value!r} is not of type 'integer'")
    if number < minimum:
        raise invalid(key, value, f"{number} is less than the minimum of {minimum}")
    if number > MAX_INT:
        raise invalid(key, value, f"{number} is greater than the maximum of {MAX_INT}")
    return number


def number(obj: Mapping[str, Any], key: str, *, default: float) -> float:
    """A positive, finite number up to MAX_FLOAT (`rxtx_factor`), or a string of decimal
    digits, as Nova's flavor schema takes it."""
    if key not in obj or obj[key] is None:
        return default
    value = obj[key]
    parsed: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        parsed = float(value) if abs(value) <= MAX_FLOAT else math.inf
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        parsed = float(value.strip())
    if parsed is None or math.isnan(parsed):
        raise invalid(key, value, f"{value!r} is not of type 'number'")
    if not parsed > 0:
        raise invalid(key, value, f"{parsed} is less than or equal to the minimum of 0")
    if parsed > MAX_FLOAT:
        raise invalid(key, value, f"{value} is greater than the maximum of {MAX_FLOAT}")
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


def query_int(request: Request, key: str, *, maximum: int = MAX_INT) -> int | None:
    """A non-negative integer query parameter (`limit`) up to `maximum`, None when absent."""
    raw = request.query_params.get(key)
    if raw is None:
        return None
    text = raw.strip()
    if not _DIGITS.fullmatch(text.removeprefix("-")):
        raise BadRequest(f"{key} param must be an integer")
    if text.startswith("-"):
        raise BadRequest(f"{key} param must be positive")
    value = digits_value(text)
    if value > maximum:
        raise BadRequest(f"{key} param must be at most {maximum}")
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
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(moment.astimezone(UTC))
    except (ValueError, OverflowError):
        # Not ISO 8601, or a time whose UTC falls outside the years 1 to 9999.
        raise BadRequest(
            f"Invalid input for query parameter {key}. Value: {raw}. "
            f"{raw!r} is not an ISO 8601 date-time between the years 1 and 9999."
        ) from None
    return stamp

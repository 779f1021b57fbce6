"""Checks on names, metadata, zones, flavors and the fields users write on servers.

Every check here is the service layer's, so gRPC and REST callers meet the same rules; they
follow Nova's parameter types (nova/api/validation/parameter_types.py) and its database's
column bounds, so whatever passes can be stored and counted without overflow.
"""

from __future__ import annotations

import base64
import json
import math
import re
import unicodedata
from collections.abc import Iterable

from services.runtime.errors import InvalidArgument
from stratus.v1 import types_pb2

MAX_NAME_LENGTH = 255
MAX_METADATA_ITEMS = 128
# Nova's integer columns (nova/db/constants.py MAX_INT) and single-precision float columns.
MAX_INT = 2**31 - 1
MAX_FLOAT = 3.40282e38
# Nova's metadata keys: letters, digits and -_:. and space (parameter_types.metadata).
_METADATA_KEY = re.compile(r"[a-zA-Z0-9-_:. ]{1,255}")
# Nova's flavor ids: letters, digits and ._- and inner spaces (schemas/flavors.py).
_FLAVOR_ID = re.compile(r"(?! )[a-zA-Z0-9. _-]{1,255}(?<! )")
MAX_FLAVOR_DESCRIPTION = 65535
# How deeply a JSON document a user passes through (JsonFilter's `query` hint) may nest.
MAX_JSON_DEPTH = 32
# Whitespace a free-form value (a metadata value) may hold; every other control character
# is refused.
_VALUE_WHITESPACE = frozenset("\t\n\r")


def printable(char: str) -> bool:
    """Nova's printable character: no control, format, surrogate, private-use or unassigned
    code point (category C*) and no line or paragraph separator; spaces are printable."""
    category = unicodedata.category(char)
    return not category.startswith("C") and (not category.startswith("Z") or category == "Zs")


def _unprintable(text: str) -> str:
    """The first character of `text` that is not printable, "" when all are."""
    if text.isascii() and text.isprintable():
        return ""
    return next((char for char in text if not printable(char)), "")


def _control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs")


def check_printable(kind: str, text: str) -> str:
    """`text` holds only printable characters (Nova's `name` and `description` types)."""
    bad = _unprintable(text)
    if bad:
        raise InvalidArgument(
            f"{kind} contains the non-printable character U+{ord(bad):04X}; use printable "
            "characters only."
        )
    return text


def check_name(kind: str, name: str) -> str:
    """Nova's rule: 1-255 printable characters, no leading or trailing whitespace."""
    if not name or not name.strip():
        raise InvalidArgument(f"{kind} name must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"{kind} name is longer than {MAX_NAME_LENGTH} characters.")
    if name != name.strip():
        raise InvalidArgument(f"{kind} name must not start or end with whitespace.")
    check_printable(f"{kind} name", name)
    return name


def check_metadata(metadata: dict[str, str], max_items: int | None = MAX_METADATA_ITEMS) -> None:
    """Keys as Nova's (1-255 of letters, digits, spaces and -_:.), values of at most 255
    characters without control characters other than tab and line breaks; at most
    `max_items` items (None: the caller applies the project's metadata_items quota)."""
    if max_items is not None and len(metadata) > max_items:
        raise InvalidArgument(f"Metadata has more than {max_items} items.")
    for key, value in metadata.items():
        if not _METADATA_KEY.fullmatch(key):
            raise InvalidArgument(
                f"Invalid metadata key {key!r}: 1 to 255 characters of letters, digits, "
                "spaces and -_:. only."
            )
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidArgument(f"Metadata value of {key!r} is longer than 255 characters.")
        bad = next(
            (
                c
                for c in value
                if unicodedata.category(c) in ("Cc", "Cs") and c not in _VALUE_WHITESPACE
            ),
            "",
        )
        if bad:
            raise InvalidArgument(
                f"Metadata value of {key!r} contains the control character U+{ord(bad):04X}."
            )


def check_zone_name(zone: str) -> str:
    """An availability zone's name: a name that cannot be read as Nova's "zone:host"."""
    check_name("Availability zone", zone)
    if ":" in zone:
        raise InvalidArgument("Availability zone name must not contain ':'.")
    return zone


MAX_TAGS = 50
MAX_TAG_LENGTH = 60
MAX_HOSTNAME_LENGTH = 255
MAX_USER_DATA_BYTES = 65535
_HOSTNAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")
_HOSTNAME_LABEL_LENGTH = 63


def check_description(description: str) -> str:
    """Nova's server description: at most 255 printable characters."""
    if len(description) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"Description is longer than {MAX_NAME_LENGTH} characters.")
    return check_printable("Description", description)


def check_tag(tag: str) -> str:
    """Nova's tag: 1 to 60 printable characters, no "/" (it is a URL segment) and no ","
    (the list filters split on it)."""
    if not tag or len(tag) > MAX_TAG_LENGTH:
        raise InvalidArgument(f"Tag {tag!r} must be 1 to {MAX_TAG_LENGTH} characters long.")
    if "/" in tag or "," in tag or _unprintable(tag):
        raise InvalidArgument(f"Tag {tag!r} must not contain '/', ',' or control characters.")
    return tag


def check_tags(tags: Iterable[str]) -> list[str]:
    """Tags as a set in first-given order; at most MAX_TAGS."""
    unique = list(dict.fromkeys(check_tag(tag) for tag in tags))
    if len(unique) > MAX_TAGS:
        raise InvalidArgument(f"A server may have at most {MAX_TAGS} tags, not {len(unique)}.")
    return unique


def check_hostname(hostname: str) -> str:
    """A hostname asked for at boot: dot-separated labels of letters, digits and inner
    hyphens, each at most 63 characters, 255 in all (a name or an FQDN, as Nova 2.94)."""
    labels = hostname.split(".")
    if (
        len(hostname) > MAX_HOSTNAME_LENGTH
        or not all(_HOSTNAME.match(label) for label in labels)
        or any(len(label) > _HOSTNAME_LABEL_LENGTH for label in labels)
    ):
        raise InvalidArgument(
            f"Invalid hostname {hostname!r}: use letters, digits and inner hyphens, in "
            "dot-separated labels of at most 63 characters."
        )
    return hostname


def hostname_for(name: str, instance_id: str) -> str:
    """The hostname Nova derives from a server's name: lower case, spaces and underscores
    as hyphens, other characters dropped, at most 63 characters; `server-<id>` when
    nothing is left."""
    text = name.lower().replace(" ", "-").replace("_", "-")
    text = re.sub(r"[^a-z0-9.-]", "", text)[:_HOSTNAME_LABEL_LENGTH].strip(".-")
    return text or f"server-{instance_id}"


def check_user_data(user_data: str) -> str:
    """Base64 text whose decoded size is at most 64 KiB."""
    try:
        decoded = base64.b64decode(user_data, validate=True)
    except ValueError:
        raise InvalidArgument("User data must be valid base64.") from None
    if len(decoded) > MAX_USER_DATA_BYTES:
        raise InvalidArgument(f"User data is larger than {MAX_USER_DATA_BYTES} bytes.")
    return user_data


def check_flavor(flavor: types_pb2.Flavor) -> types_pb2.Flavor:
    """Nova's flavor bounds: vcpus and ram from 1, disk, ephemeral and swap from 0, each at
    most MAX_INT (so the sums a quota or a host counts cannot overflow); rxtx_factor, when
    set, a finite number above 0 up to MAX_FLOAT; an id, when given, of Nova's characters."""
    check_name("Flavor", flavor.name)
    for field, value, minimum in (
        ("vcpus", flavor.vcpus, 1),
        ("ram", flavor.ram_mb, 1),
        ("disk", flavor.disk_gb, 0),
        ("OS-FLV-EXT-DATA:ephemeral", flavor.ephemeral_gb, 0),
        ("swap", flavor.swap_mb, 0),
    ):
        if not minimum <= value <= MAX_INT:
            raise InvalidArgument(
                f"Invalid input for field/attribute {field}. Value: {value}. It must be an "
                f"integer from {minimum} to {MAX_INT}."
            )
    factor = flavor.rxtx_factor  # 0: not given, the service's default applies
    if factor != 0.0 and (math.isnan(factor) or not 0 < factor <= MAX_FLOAT):
        raise InvalidArgument(
            f"Invalid input for field/attribute rxtx_factor. Value: {factor}. It must be a "
            f"number above 0 and at most {MAX_FLOAT}."
        )
    if flavor.id and not _FLAVOR_ID.fullmatch(flavor.id):
        raise InvalidArgument(
            f"Invalid flavor id {flavor.id!r}: 1 to 255 letters, digits, '.', '_', '-' or "
            "inner spaces."
        )
    if len(flavor.description) > MAX_FLAVOR_DESCRIPTION:
        raise InvalidArgument(
            f"Flavor description is longer than {MAX_FLAVOR_DESCRIPTION} characters."
        )
    check_printable("Flavor description", flavor.description)
    return flavor


_JSON_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


def json_depth(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply arrays and objects nest in a JSON text, read without parsing it (brackets
    inside strings do not count); counting stops just past `limit`."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = deepest = 0
    in_string = False
    escaped_at = -1
    for match in _JSON_STRUCTURE.finditer(raw):
        at = match.start()
        char = raw[at : at + 1]
        if in_string:
            if at == escaped_at:
                continue
            if char == b"\\":
                escaped_at = at + 1
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif char in b"]}":
            depth -= 1
    return deepest


def check_json_document(kind: str, text: str, max_depth: int = MAX_JSON_DEPTH) -> object:
    """A JSON document a user passes through (JsonFilter's `query` hint): parsed, and no
    deeper than `max_depth`, so neither the api nor a scheduler recurses without bound."""
    if json_depth(text, max_depth) > max_depth:
        raise InvalidArgument(f"Invalid {kind}: JSON nests more than {max_depth} levels deep.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidArgument(f"Invalid {kind}: not a JSON document ({exc}).") from None

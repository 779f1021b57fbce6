"""Checks on names, metadata, zones and the fields users write on servers."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from services.runtime.errors import InvalidArgument

MAX_NAME_LENGTH = 255
MAX_METADATA_ITEMS = 128


def check_name(kind: str, name: str) -> str:
    """Nova's rule: 1-255 printable characters, no leading or trailing whitespace."""
    if not name or not name.strip():
        raise InvalidArgument(f"{kind} name must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"{kind} name is longer than {MAX_NAME_LENGTH} characters.")
    if name != name.strip():
        raise InvalidArgument(f"{kind} name must not start or end with whitespace.")
    if not name.isprintable():
        raise InvalidArgument(f"{kind} name contains non-printable characters.")
    return name


def check_metadata(metadata: dict[str, str], max_items: int | None = MAX_METADATA_ITEMS) -> None:
    """Keys of 1-255 characters, values of at most 255; at most `max_items` items (None:
    the caller applies the project's metadata_items quota instead)."""
    if max_items is not None and len(metadata) > max_items:
        raise InvalidArgument(f"Metadata has more than {max_items} items.")
    for key, value in metadata.items():
        if not key or len(key) > MAX_NAME_LENGTH:
            raise InvalidArgument("Metadata keys must be 1 to 255 characters long.")
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidArgument(f"Metadata value of {key!r} is longer than 255 characters.")


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
    if not description.isprintable():
        raise InvalidArgument("Description contains non-printable characters.")
    return description


def check_tag(tag: str) -> str:
    """Nova's tag: 1 to 60 printable characters, no "/" (it is a URL segment) and no ","
    (the list filters split on it)."""
    if not tag or len(tag) > MAX_TAG_LENGTH:
        raise InvalidArgument(f"Tag {tag!r} must be 1 to {MAX_TAG_LENGTH} characters long.")
    if "/" in tag or "," in tag or not tag.isprintable():
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

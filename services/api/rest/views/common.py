"""What every view shares: where links point, and Nova's two time formats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from google.protobuf import timestamp_pb2

from stratus.v1 import types_pb2

COMPUTE_VERSION = "v2.1"


@dataclass(frozen=True)
class Links:
    """Where links point: `root` is the gateway's base URL without a trailing slash."""

    root: str

    @classmethod
    def from_base(cls, base_url: str) -> Links:
        root = base_url.rstrip("/")
        suffix = "/" + COMPUTE_VERSION
        if root.endswith(suffix):
            root = root[: -len(suffix)]
        return cls(root)

    @property
    def compute(self) -> str:
        return f"{self.root}/{COMPUTE_VERSION}"

    def resource(self, collection: str, identifier: str) -> list[dict[str, str]]:
        """Nova's `self` (versioned) and `bookmark` (unversioned) links to one resource."""
        return [
            {"rel": "self", "href": f"{self.compute}/{collection}/{identifier}"},
            {"rel": "bookmark", "href": f"{self.root}/{collection}/{identifier}"},
        ]

    def bookmark(self, collection: str, identifier: str) -> list[dict[str, str]]:
        return [{"rel": "bookmark", "href": f"{self.root}/{collection}/{identifier}"}]

    def next_page(
        self, collection: str, params: Sequence[tuple[str, str]], marker: str
    ) -> list[dict[str, str]]:
        """Nova's `<collection>_links`: the request's query with `marker` set to the last id."""
        query = [(key, value) for key, value in params if key != "marker"]
        query.append(("marker", marker))
        return [{"rel": "next", "href": f"{self.compute}/{collection}?{urlencode(query)}"}]


def _datetime(ts: timestamp_pb2.Timestamp) -> datetime:
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=UTC)


def isotime(ts: timestamp_pb2.Timestamp | None) -> str | None:
    """Nova's `created`/`updated` format, `YYYY-MM-DDTHH:MM:SSZ`; None when unset."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return _datetime(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def strtime(ts: timestamp_pb2.Timestamp | None) -> str | None:
    """Nova's format for database times (`launched_at`, action `start_time`); None when unset."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return _datetime(ts).strftime("%Y-%m-%dT%H:%M:%S.%f")


def instance_name(instance: types_pb2.Instance) -> str:
    """The hypervisor's name for the guest, as `OS-EXT-SRV-ATTR:instance_name` shows it."""
    return f"instance-{instance.id}"

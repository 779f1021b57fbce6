"""Version discovery: `GET /` lists the compute API versions, `GET /v2.1` describes one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.api.rest import microversions
from services.api.rest.deps import get_links
from services.api.rest.views import COMPUTE_VERSION, Links

router = APIRouter()

LinksDep = Annotated[Links, Depends(get_links)]

UPDATED = "2013-07-23T11:33:21Z"


def version_summary(links: Links) -> dict[str, Any]:
    """The v2.1 entry of the root version list."""
    return {
        "id": COMPUTE_VERSION,
        "status": "CURRENT",
        "version": str(microversions.MAX),
        "min_version": str(microversions.MIN),
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{links.compute}/"}],
    }


def version_document(links: Links) -> dict[str, Any]:
    """`GET /v2.1`: the version with its documentation link and media types."""
    summary = version_summary(links)
    summary["links"].append(
        {
            "rel": "describedby",
            "type": "text/html",
            "href": "http://docs.openstack.org/",
        }
    )
    summary["media-types"] = [
        {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}
    ]
    return summary


@router.get("/")
async def list_versions(links: LinksDep) -> dict[str, Any]:
    return {"versions": [version_summary(links)]}


@router.get("/v2.1")
async def show_version(links: LinksDep) -> dict[str, Any]:
    return {"version": version_document(links)}


@router.get("/v2.1/", include_in_schema=False)
async def show_version_slash(links: LinksDep) -> dict[str, Any]:
    return {"version": version_document(links)}

"""Images: Glance v2's read API (`/v2/images`, also under `/image`) and Nova's image proxy
(`/v2.1/images`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.api.rest import microversions as mv
from services.api.rest import views
from services.api.rest.deps import ComputeApiLike, Version, get_api, get_context, get_links
from services.runtime.context import RequestContext

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]
LinksDep = Annotated[views.Links, Depends(get_links)]

router = APIRouter()

# Glance is reachable at its own root and under `/image`, as a proxied deployment serves it.
GLANCE_PREFIXES = ("/v2", "/image/v2")


async def glance_list_images(request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    """Glance's list; `id` filters by one id or by `in:<id>,<id>` as clients batch lookups."""
    images = await api.list_images(ctx, request.query_params.get("name", ""))
    wanted = request.query_params.get("id")
    if wanted:
        ids = set(wanted[3:].split(",")) if wanted.startswith("in:") else {wanted}
        images = [image for image in images if image.id in ids]
    return views.glance_image_list(images)


async def glance_show_image(image_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    return views.glance_image(await api.get_image(ctx, image_id))


# Glance's version discovery at the image endpoint of the catalog (`/image`).
GLANCE_VERSIONS = ("2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9")


async def glance_versions(links: LinksDep) -> dict[str, Any]:
    href = f"{links.root}/image/v2/"
    current = GLANCE_VERSIONS[-1]
    return {
        "versions": [
            {
                "id": f"v{version}",
                "status": "CURRENT" if version == current else "SUPPORTED",
                "links": [{"rel": "self", "href": href}],
            }
            for version in reversed(GLANCE_VERSIONS)
        ]
    }


for _path in ("/image", "/image/"):
    router.add_api_route(_path, glance_versions, methods=["GET"], include_in_schema=False)

for _prefix in GLANCE_PREFIXES:
    router.add_api_route(f"{_prefix}/images", glance_list_images, methods=["GET"])
    router.add_api_route(f"{_prefix}/images/{{image_id}}", glance_show_image, methods=["GET"])


_LAST_PROXY = mv.before(mv.PROXIES_REMOVED)


@router.get("/v2.1/images")
async def list_images(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    """Nova's image proxy, gone at 2.36 (clients read Glance's `/v2/images`)."""
    mv.served_between(version, last=_LAST_PROXY)
    images = await api.list_images(ctx, request.query_params.get("name", ""))
    return {"images": [views.nova_image_summary(image, links) for image in images]}


@router.get("/v2.1/images/detail")
async def list_images_detail(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    mv.served_between(version, last=_LAST_PROXY)
    images = await api.list_images(ctx, request.query_params.get("name", ""))
    return {"images": [views.nova_image_detail(image, links) for image in images]}


@router.get("/v2.1/images/{image_id}")
async def show_image(
    image_id: str, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    mv.served_between(version, last=_LAST_PROXY)
    return {"image": views.nova_image_detail(await api.get_image(ctx, image_id), links)}

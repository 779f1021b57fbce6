"""Images: Glance v2's read API (`/v2/images`, also under `/image`) and Nova's image proxy
(`/v2.1/images`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.api.rest import views
from services.api.rest.deps import ComputeApiLike, get_api, get_context, get_links
from services.runtime.context import RequestContext

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]
LinksDep = Annotated[views.Links, Depends(get_links)]

router = APIRouter()

# Glance is reachable at its own root and under `/image`, as a proxied deployment serves it.
GLANCE_PREFIXES = ("/v2", "/image/v2")


async def glance_list_images(request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    images = await api.list_images(ctx, request.query_params.get("name", ""))
    return views.glance_image_list(images)


async def glance_show_image(image_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    return views.glance_image(await api.get_image(ctx, image_id))


for _prefix in GLANCE_PREFIXES:
    router.add_api_route(f"{_prefix}/images", glance_list_images, methods=["GET"])
    router.add_api_route(f"{_prefix}/images/{{image_id}}", glance_show_image, methods=["GET"])


@router.get("/v2.1/images")
async def list_images(request: Request, api: Api, ctx: Ctx, links: LinksDep) -> dict[str, Any]:
    images = await api.list_images(ctx, request.query_params.get("name", ""))
    return {"images": [views.nova_image_summary(image, links) for image in images]}


@router.get("/v2.1/images/detail")
async def list_images_detail(
    request: Request, api: Api, ctx: Ctx, links: LinksDep
) -> dict[str, Any]:
    images = await api.list_images(ctx, request.query_params.get("name", ""))
    return {"images": [views.nova_image_detail(image, links) for image in images]}


@router.get("/v2.1/images/{image_id}")
async def show_image(image_id: str, api: Api, ctx: Ctx, links: LinksDep) -> dict[str, Any]:
    return {"image": views.nova_image_detail(await api.get_image(ctx, image_id), links)}

"""``/api/v1/sites``: websites that embed the snippet (admins only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from server.accounts import sites
from server.storage.models import Site
from server.web.endpoints import Call, endpoint
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.public_url import base_url


class SiteOut(Output):
    id: int
    name: str
    site_key: str
    origins: list[str]
    unmask_selectors: list[str] = Field(
        description="CSS selectors of the fields whose typed values the snippet shows; "
        "every other typed value is masked on the guest's device"
    )
    is_active: bool
    created_at: datetime
    updated_at: datetime
    script_tag: str
    waiting_room_default: bool | None = Field(
        default=None,
        description="Whether meetings this site's snippet guests start have the waiting room "
        "on (for guests who join them later by link); null: off, as for any number",
    )


class SiteList(Output):
    sites: list[SiteOut]


class NewSite(Payload):
    name: str = Field(max_length=100)
    origins: list[str] = Field(max_length=sites.MAX_ORIGINS)
    # Counted after blanks and repeats are dropped (too_many_unmask_selectors).
    unmask_selectors: list[str] = Field(default_factory=list)


class SiteChange(Payload):
    name: str | None = Field(default=None, max_length=100)
    origins: list[str] | None = Field(default=None, max_length=sites.MAX_ORIGINS)
    is_active: bool | None = None
    unmask_selectors: list[str] | None = None
    waiting_room_default: bool | None = Field(
        default=None, description="See SiteOut; null: off, as for any number"
    )


def site_out(request: Request, site: Site) -> dict:
    return {
        "id": site.id,
        "name": site.name,
        "site_key": site.site_key,
        "origins": site.origin_list,
        "unmask_selectors": site.unmask_selectors,
        "is_active": site.is_active,
        "created_at": site.created_at,
        "updated_at": site.updated_at,
        "script_tag": sites.script_tag(site, base_url(request)),
        "waiting_room_default": site.waiting_room_default,
    }


@endpoint(who="admin")
async def list_sites(call: Call) -> JSONResponse:
    found = await sites.list_sites(call.db)
    return respond(SiteList, {"sites": [site_out(call.request, s) for s in found]})


@endpoint(who="admin")
async def create_site(call: Call) -> JSONResponse:
    body = await read_json(call.request, NewSite)
    site = await sites.create_site(
        call.db,
        name=body.name,
        origins=body.origins,
        unmask_selectors=body.unmask_selectors,
        created_by=call.user,
    )
    return respond(SiteOut, site_out(call.request, site), status=201)


@endpoint(who="admin")
async def get_site(call: Call) -> JSONResponse:
    site = await sites.get_site(call.db, call.request.path_params["site_id"])
    return respond(SiteOut, site_out(call.request, site))


@endpoint(who="admin")
async def update_site(call: Call) -> JSONResponse:
    body = await read_json(call.request, SiteChange)
    changes = body.model_dump(exclude_unset=True)
    # Null is a value here (back to off), unlike the other fields' "unchanged".
    waiting_room = changes.pop("waiting_room_default", ...)
    site = await sites.update_site(call.db, call.request.path_params["site_id"], **changes)
    if waiting_room is not ...:
        site.waiting_room_default = waiting_room
        await call.db.flush()
    return respond(SiteOut, site_out(call.request, site))


SITE_ERRORS = (
    (422, "invalid_origin"),
    (422, "origins_required"),
    (422, "too_many_origins"),
    (422, "invalid_site_name"),
    (422, "invalid_unmask_selector"),
    (422, "too_many_unmask_selectors"),
)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "GET",
            "/api/v1/sites",
            list_sites,
            summary="List sites",
            auth="admin",
            response=SiteList,
            tag="sites",
        ),
        operation(
            "POST",
            "/api/v1/sites",
            create_site,
            summary="Register a website that embeds the snippet",
            auth="admin",
            body=NewSite,
            response=SiteOut,
            status=201,
            errors=SITE_ERRORS,
            tag="sites",
        ),
        operation(
            "GET",
            "/api/v1/sites/{site_id:id}",
            get_site,
            summary="One site",
            auth="admin",
            response=SiteOut,
            errors=((404, "site_not_found"),),
            tag="sites",
        ),
        operation(
            "PATCH",
            "/api/v1/sites/{site_id:id}",
            update_site,
            summary="Rename a site, change its origins or unmask selectors, disable or enable it",
            auth="admin",
            body=SiteChange,
            response=SiteOut,
            errors=((404, "site_not_found"), *SITE_ERRORS),
            tag="sites",
        ),
    ]

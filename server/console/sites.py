"""Admin pages: register websites that embed the snippet, and copy the tag."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts import sites
from server.accounts.auth import Principal, require_user
from server.console.forms import field, is_form_refusal, read_form
from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.storage.models import Site
from server.web.errors import ApiError
from server.web.public_url import base_url
from server.web.services import services


def origin_lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def selector_lines(text: str) -> list[str]:
    # One selector per line; a comma belongs to a selector list
    # (``input[type=email], #order-id``), so it does not split.
    return text.splitlines()


async def sites_page(
    request: Request,
    db: AsyncSession,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    context = {
        "sites": await sites.list_sites(db),
        "form": form or {},
        "error": error.message(request_locale(request)) if error else "",
    }
    status = error.status if error else 200
    return render(request, "console/sites.html", context, principal=principal, status=status)


def site_page(
    request: Request,
    principal: Principal,
    site: Site,
    *,
    form: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    context = {
        "site": site,
        "script_tag": sites.script_tag(site, base_url(request)),
        "form": form
        or {
            "name": site.name,
            "origins": "\n".join(site.origin_list),
            "unmask_selectors": "\n".join(site.unmask_selectors),
        },
        "error": error.message(request_locale(request)) if error else "",
    }
    status = error.status if error else 200
    return render(request, "console/site.html", context, principal=principal, status=status)


async def show_sites(
    request: Request, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db, admin=True)
        return await sites_page(request, db, principal, form=form, error=error)


async def add_site(request: Request) -> Response:
    values: dict[str, str] = {}
    try:
        async with services(request).db.begin() as db:
            principal = await require_user(request, db, admin=True)
            form = await read_form(request, principal)
            values = {"name": field(form, "name"), "origins": field(form, "origins")}
            site = await sites.create_site(
                db,
                name=values["name"],
                origins=origin_lines(values["origins"]),
                created_by=principal.user,
            )
            site_id, name = site.id, site.name
    except ApiError as error:
        if not is_form_refusal(error):
            raise
        return await show_sites(request, form=values, error=error)
    return redirect(request, f"/admin/sites/{site_id}", "flash.site_created", name=name)


async def show_site(
    request: Request, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db, admin=True)
        site = await sites.get_site(db, request.path_params["site_id"])
        return site_page(request, principal, site, form=form, error=error)


async def change_site(request: Request) -> Response:
    values: dict[str, str] = {}
    try:
        async with services(request).db.begin() as db:
            principal = await require_user(request, db, admin=True)
            form = await read_form(request, principal)
            site_id = request.path_params["site_id"]
            action = field(form, "action")
            if action in ("disable", "enable"):
                site = await sites.update_site(db, site_id, is_active=action == "enable")
                flash = f"flash.site_{action}"
            else:
                values = {
                    "name": field(form, "name"),
                    "origins": field(form, "origins"),
                    "unmask_selectors": field(form, "unmask_selectors"),
                }
                site = await sites.update_site(
                    db,
                    site_id,
                    name=values["name"],
                    origins=origin_lines(values["origins"]),
                    # A form loaded before this field existed leaves them as they are.
                    unmask_selectors=selector_lines(values["unmask_selectors"])
                    if "unmask_selectors" in form
                    else None,
                )
                flash = "flash.site_saved"
            name = site.name
    except ApiError as error:
        if not is_form_refusal(error):
            raise
        return await show_site(request, form=values, error=error)
    return redirect(request, f"/admin/sites/{site_id}", flash, name=name)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/sites", show_sites, methods=["GET"]),
        Route("/admin/sites", add_site, methods=["POST"]),
        Route("/admin/sites/{site_id:id}", show_site, methods=["GET"]),
        Route("/admin/sites/{site_id:id}", change_site, methods=["POST"]),
    ]

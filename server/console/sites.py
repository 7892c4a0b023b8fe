"""Admin pages: register websites that embed the snippet, and copy the tag."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts import sites
from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.web.endpoints import Call, endpoint, form_post
from server.web.errors import ApiError
from server.web.forms import field
from server.web.public_url import base_url


def origin_lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def selector_lines(text: str) -> list[str]:
    # One selector per line; a comma belongs to a selector list
    # (``input[type=email], #order-id``), so it does not split.
    return text.splitlines()


async def sites_page(
    call: Call, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    request = call.request
    context = {
        "sites": await sites.list_sites(call.db),
        "form": form or {},
        "error": error.message(request_locale(request)) if error else "",
    }
    status = error.status if error else 200
    return render(request, "console/sites.html", context, principal=call.principal, status=status)


async def site_page(
    call: Call, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    request = call.request
    site = await sites.get_site(call.db, request.path_params["site_id"])
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
    return render(request, "console/site.html", context, principal=call.principal, status=status)


@endpoint(who="admin")
async def show_sites(call: Call) -> Response:
    return await sites_page(call)


@form_post(page=sites_page, fields=("name", "origins"), who="admin")
async def add_site(call: Call) -> Response:
    site = await sites.create_site(
        call.db,
        name=field(call.form, "name"),
        origins=origin_lines(field(call.form, "origins")),
        created_by=call.user,
    )
    return redirect(call.request, f"/admin/sites/{site.id}", "flash.site_created", name=site.name)


@endpoint(who="admin")
async def show_site(call: Call) -> Response:
    return await site_page(call)


@form_post(page=site_page, fields=("name", "origins", "unmask_selectors"), who="admin")
async def change_site(call: Call) -> Response:
    form = call.form
    site_id = call.request.path_params["site_id"]
    action = field(form, "action")
    if action in ("disable", "enable"):
        site = await sites.update_site(call.db, site_id, is_active=action == "enable")
        flash = f"flash.site_{action}"
    else:
        site = await sites.update_site(
            call.db,
            site_id,
            name=field(form, "name"),
            origins=origin_lines(field(form, "origins")),
            # A form loaded before this field existed leaves them as they are.
            unmask_selectors=selector_lines(field(form, "unmask_selectors"))
            if "unmask_selectors" in form
            else None,
        )
        if "waiting_room_default" in form:
            # On, or off as for any number (issue #14).
            site.waiting_room_default = True if form["waiting_room_default"] == "on" else None
        flash = "flash.site_saved"
    return redirect(call.request, f"/admin/sites/{site_id}", flash, name=site.name)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/sites", show_sites, methods=["GET"]),
        Route("/admin/sites", add_site, methods=["POST"]),
        Route("/admin/sites/{site_id:id}", show_site, methods=["GET"]),
        Route("/admin/sites/{site_id:id}", change_site, methods=["POST"]),
    ]

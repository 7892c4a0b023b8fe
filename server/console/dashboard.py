"""The console home: what to do next."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts import sites, users
from server.accounts.auth import require_user
from server.console.rendering import render, ui_strings
from server.meetings import lifecycle as meetings
from server.web.public_url import base_url
from server.web.services import services


async def dashboard(request: Request) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db)
        steps = []
        if principal.user.is_admin:
            site_list = await sites.list_sites(db)
            hosts = [u for u in await users.list_users(db) if u.is_active]
            steps = [
                {
                    "key": "site",
                    "done": any(s.is_active for s in site_list),
                    "href": "/admin/sites",
                },
                {"key": "hosts", "done": len(hosts) > 1, "href": "/admin/users"},
            ]
        steps.append({"key": "token", "done": None, "href": "/account#tokens"})
        live = await meetings.list_meetings(db, principal.user, state="live", own=True)
    context = {
        "steps": steps,
        "live_meetings": live,
        "digits": services(request).settings.number_digits,
        "join_url": base_url(request) + "/join",
        "strings": ui_strings(request, "dashboard"),
    }
    return render(request, "console/dashboard.html", context, principal=principal)


def routes() -> list[BaseRoute]:
    return [Route("/", dashboard, methods=["GET"])]

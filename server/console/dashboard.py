"""The console home: what to do next."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import sites, users
from server.auth import require_user
from server.console.rendering import render


async def dashboard(request: Request) -> Response:
    async with request.app.state.db.begin() as db:
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
    return render(request, "console/dashboard.html", {"steps": steps}, principal=principal)


def routes() -> list[BaseRoute]:
    return [Route("/", dashboard, methods=["GET"])]

"""The console home: what to do next."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts import sites, users
from server.console.rendering import render, ui_strings
from server.meetings import lifecycle as meetings
from server.meetings import prepared
from server.storage.models import utcnow
from server.web.endpoints import Call, endpoint
from server.web.public_url import base_url
from sms.links import join_url


@endpoint()
async def dashboard(call: Call) -> Response:
    request, db = call.request, call.db
    steps = []
    if call.user.is_admin:
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
    live = await meetings.list_meetings(db, call.user, state="live", own=True)
    # A prepared meeting not started yet is upcoming, listed on its own.
    live = [m for m in live if not (m.prepared and m.state == "waiting")]
    secret = call.services.settings.secret_key
    upcoming = [
        {
            "meeting": meeting,
            "url": join_url(base_url(request), secret, link.id) if link else None,
            "expires_at": link.expires_at if link else None,
        }
        for meeting, link in await prepared.upcoming(db, call.user)
    ]
    now = utcnow()
    gone = {
        meeting_id: {"since": left.isoformat(), "minutes": int((now - left).total_seconds() // 60)}
        for meeting_id, left in (await meetings.guests_gone_since(db, live)).items()
    }
    context = {
        "steps": steps,
        "live_meetings": live,
        "upcoming": upcoming,
        "guests_gone": gone,
        "digits": call.services.settings.number_digits,
        "join_url": base_url(request) + "/join",
        "strings": ui_strings(request, "dashboard"),
    }
    return render(request, "console/dashboard.html", context, principal=call.principal)


def routes() -> list[BaseRoute]:
    return [Route("/", dashboard, methods=["GET"])]

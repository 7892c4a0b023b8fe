"""The console's "prepare a meeting" page (issue #14, part 0): a form for
the customer's name, a date, the options and how long the link lasts; the
page's script creates it through the API and then offers the link to copy,
send by SMS or put in an e-mail."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console.rendering import render, ui_strings
from server.meetings import knocks
from server.web.endpoints import Call, endpoint
from sms.body import DEFAULT_SENDER

# The link lifetimes offered, in days (the API takes any up to the maximum).
DAY_CHOICES = (1, 3, 7, 14, 30)


@endpoint()
async def prepare_page(call: Call) -> Response:
    settings = call.services.settings
    days = [d for d in DAY_CHOICES if d <= settings.prepared_link_max_days]
    context = {
        "days": days or [settings.prepared_link_max_days],
        "default_days": 7 if 7 in days else days[-1] if days else settings.prepared_link_max_days,
        "waiting_room": knocks.waiting_room_default(settings, call.user),
        "company": settings.company_name.strip() or DEFAULT_SENDER,
        "strings": ui_strings(call.request, "prepared"),
        "nav_path": "/",
    }
    return render(call.request, "console/prepare.html", context, principal=call.principal)


def routes() -> list[BaseRoute]:
    return [Route("/meetings/prepare", prepare_page, methods=["GET"])]

"""The development outbox: with no Twilio credentials, SMS are kept here
instead of being sent, each with its join link ready to open."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.auth import require_user
from server.console.rendering import render
from server.web.services import services
from sms import delivery


async def outbox_page(request: Request) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db)
        messages = [delivery.message_out(m) for m in await delivery.outbox(db, principal.user)]
    return render(request, "console/outbox.html", {"messages": messages}, principal=principal)


def routes() -> list[BaseRoute]:
    return [Route("/outbox", outbox_page, methods=["GET"])]

"""The development outbox: with no Twilio credentials, SMS are kept here
instead of being sent, each with its join link ready to open."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console.rendering import render
from server.meetings import invitations
from server.web.endpoints import Call, endpoint


@endpoint()
async def outbox_page(call: Call) -> Response:
    messages = [invitations.message_out(m) for m in await invitations.outbox(call.db, call.user)]
    context = {"messages": messages}
    return render(call.request, "console/outbox.html", context, principal=call.principal)


def routes() -> list[BaseRoute]:
    return [Route("/outbox", outbox_page, methods=["GET"])]

"""The public join page: a guest gets a number to read out over the phone."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console.rendering import render, ui_strings


async def join_page(request: Request) -> Response:
    context = {
        "strings": ui_strings(request, "join"),
        "digits": request.app.state.settings.number_digits,
        "terms_url": request.app.state.settings.terms_url,
    }
    return render(request, "join.html", context)


def routes() -> list[BaseRoute]:
    return [Route("/join", join_page, methods=["GET"])]

"""The HTTP API under ``/api/v1``: JSON in, JSON out, self-described."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from server.api import (
    calls,
    captures,
    cards,
    checklists,
    documents,
    embed,
    files,
    guest,
    knocks,
    licences,
    live_view,
    me,
    meetings,
    recordings,
    screen_share,
    sites,
    sms,
    tokens,
    users,
)
from server.web.openapi import build_document
from server.web.public_url import base_url


def routes() -> list[BaseRoute]:
    api = [
        *me.routes(),
        *users.routes(),
        *sites.routes(),
        *tokens.routes(),
        *meetings.routes(),
        *guest.routes(),
        *embed.routes(),
        *captures.routes(),
        *sms.routes(),
        *calls.routes(),
        *licences.routes(),
        *checklists.routes(),
        *recordings.routes(),
        *files.routes(),
        *screen_share.routes(),
        *documents.routes(),
        *knocks.routes(),
        *cards.routes(),
        *live_view.routes(),
    ]

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(build_document(api, base_url(request)))

    return [
        *api,
        Route("/api/v1/openapi.json", openapi, methods=["GET"]),
        *sms.webhook_routes(),
    ]

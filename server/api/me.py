"""``/api/v1/me``: who the caller is."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from server.accounts.auth import require_user
from server.web.openapi import operation
from server.web.payloads import Output, respond
from server.web.services import services


class UserOut(Output):
    id: int
    username: str
    display_name: str
    role: str
    is_active: bool
    created_at: datetime


async def get_me(request: Request) -> JSONResponse:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db)
        return respond(UserOut, principal.user)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "GET",
            "/api/v1/me",
            get_me,
            summary="The calling user",
            response=UserOut,
            tag="accounts",
        ),
    ]

"""``/api/v1/me``: who the caller is."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from server.web.endpoints import Call, endpoint
from server.web.openapi import operation
from server.web.payloads import Output, respond


class UserOut(Output):
    id: int
    username: str
    display_name: str
    role: str
    is_active: bool
    created_at: datetime
    waiting_room_default: bool | None = Field(
        default=None,
        description="Link meetings' waiting room, as an admin set it for this host; "
        "null: the server's default",
    )


@endpoint()
async def get_me(call: Call) -> JSONResponse:
    return respond(UserOut, call.user)


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

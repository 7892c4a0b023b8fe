"""``/api/v1/users``: admins add, change and disable host accounts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from server.accounts import users
from server.api.me import UserOut
from server.web.endpoints import Call, endpoint
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond


class UserList(Output):
    users: list[UserOut]


class NewUser(Payload):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    role: Literal["host", "admin"] = "host"
    display_name: str = Field(default="", max_length=100)


class UserChange(Payload):
    role: Literal["host", "admin"] | None = None
    is_active: bool | None = None
    display_name: str | None = Field(default=None, max_length=100)
    waiting_room_default: bool | None = Field(
        default=None,
        description="Whether this host's link meetings start with the waiting room on; "
        "null: as the server is set (TSUNAGU_WAITING_ROOM_LINKS)",
    )


@endpoint(who="admin")
async def list_users(call: Call) -> JSONResponse:
    return respond(UserList, {"users": await users.list_users(call.db)})


@endpoint(who="admin")
async def create_user(call: Call) -> JSONResponse:
    body = await read_json(call.request, NewUser)
    user = await users.create_user(call.db, call.services.passwords, **body.model_dump())
    return respond(UserOut, user, status=201)


@endpoint(who="admin")
async def update_user(call: Call) -> JSONResponse:
    body = await read_json(call.request, UserChange)
    user = await users.get_user(call.db, call.request.path_params["user_id"])
    changes = body.model_dump(exclude_unset=True)
    # Null is a value here (back to the server's default), so it is set
    # apart from the changes where null means "leave as it is".
    if "waiting_room_default" in changes:
        user.waiting_room_default = changes.pop("waiting_room_default")
    user = await users.update_user(call.db, call.user, user, **changes)
    return respond(UserOut, user)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "GET",
            "/api/v1/users",
            list_users,
            summary="List users",
            auth="admin",
            response=UserList,
            tag="users",
        ),
        operation(
            "POST",
            "/api/v1/users",
            create_user,
            summary="Add a user",
            auth="admin",
            body=NewUser,
            response=UserOut,
            status=201,
            errors=(
                (409, "username_taken"),
                (422, "invalid_username"),
                (422, "password_too_short"),
                (422, "password_too_long"),
            ),
            tag="users",
        ),
        operation(
            "PATCH",
            "/api/v1/users/{user_id:id}",
            update_user,
            summary="Change a user's role, name or status",
            auth="admin",
            body=UserChange,
            response=UserOut,
            errors=((404, "user_not_found"), (409, "cannot_demote_self")),
            tag="users",
        ),
    ]

"""Admin page: add host users, change roles, disable and enable accounts."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts import users
from server.accounts.passwords import generate_password
from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.meetings import knocks
from server.web.endpoints import Call, endpoint, form_post
from server.web.errors import ApiError
from server.web.forms import field

# action name in the form -> the change it makes
ACTIONS = {
    "disable": {"is_active": False},
    "enable": {"is_active": True},
    "make_admin": {"role": "admin"},
    "make_host": {"role": "host"},
}


async def users_page(
    call: Call,
    *,
    created: dict[str, str] | None = None,
    reset: bool = False,
    form: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    request = call.request
    context = {
        "users": await users.list_users(call.db),
        "created": created,
        "reset": reset,
        "form": form or {},
        "error": error.message(request_locale(request)) if error else "",
    }
    status = error.status if error else (201 if created and not reset else 200)
    return render(request, "console/users.html", context, principal=call.principal, status=status)


@endpoint(who="admin")
async def show_users(call: Call) -> Response:
    return await users_page(call)


@form_post(page=users_page, fields=("username", "display_name", "role"), who="admin")
async def add_user(call: Call) -> Response:
    form = call.form
    password = field(form, "password") or generate_password()
    user = await users.create_user(
        call.db,
        call.services.passwords,
        username=field(form, "username"),
        display_name=field(form, "display_name"),
        role=field(form, "role") or "host",
        password=password,
    )
    # The password is shown once, here, for the admin to hand over.
    return await users_page(call, created={"username": user.username, "password": password})


@form_post(page=users_page, who="admin")
async def change_user(call: Call) -> Response:
    request, form = call.request, call.form
    action = field(form, "action")
    if action not in ACTIONS and action not in ("reset_password", "waiting_room"):
        raise ApiError(400, "bad_request")
    user = await users.get_user(call.db, request.path_params["user_id"])
    username = user.username
    if action == "waiting_room":
        # The host's link meetings: waiting room on, off, or as the server is set.
        choice = field(form, "waiting_room")
        if choice not in knocks.DEFAULT_CHOICES:
            raise ApiError(400, "bad_request")
        user.waiting_room_default = knocks.DEFAULT_CHOICES[choice]
        await call.db.flush()
        return redirect(request, "/admin/users", "flash.waiting_room_saved", username=username)
    if action == "reset_password":
        password = generate_password()
        await users.reset_password(call.db, call.services.passwords, user, password)
        # Shown once, on this page, for the admin to hand over.
        reset = {"username": username, "password": password}
        return await users_page(call, created=reset, reset=True)
    await users.update_user(call.db, call.user, user, **ACTIONS[action])
    return redirect(request, "/admin/users", f"flash.user_{action}", username=username)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/users", show_users, methods=["GET"]),
        Route("/admin/users", add_user, methods=["POST"]),
        Route("/admin/users/{user_id:id}", change_user, methods=["POST"]),
    ]

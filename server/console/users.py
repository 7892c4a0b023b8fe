"""Admin page: add host users, change roles, disable and enable accounts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts import users
from server.accounts.auth import Principal, require_user
from server.accounts.passwords import generate_password
from server.console.forms import field, is_form_refusal, read_form
from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.web.errors import ApiError
from server.web.services import services

# action name in the form -> the change it makes
ACTIONS = {
    "disable": {"is_active": False},
    "enable": {"is_active": True},
    "make_admin": {"role": "admin"},
    "make_host": {"role": "host"},
}


async def users_page(
    request: Request,
    db: AsyncSession,
    principal: Principal,
    *,
    created: dict[str, str] | None = None,
    reset: bool = False,
    form: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    context = {
        "users": await users.list_users(db),
        "created": created,
        "reset": reset,
        "form": form or {},
        "error": error.message(request_locale(request)) if error else "",
    }
    status = error.status if error else (201 if created and not reset else 200)
    return render(request, "console/users.html", context, principal=principal, status=status)


async def show_users(
    request: Request,
    *,
    created: dict[str, str] | None = None,
    reset: bool = False,
    form: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db, admin=True)
        return await users_page(
            request, db, principal, created=created, reset=reset, form=form, error=error
        )


async def add_user(request: Request) -> Response:
    values: dict[str, str] = {}
    try:
        async with services(request).db.begin() as db:
            principal = await require_user(request, db, admin=True)
            form = await read_form(request, principal)
            values = {k: field(form, k) for k in ("username", "display_name", "role")}
            password = field(form, "password") or generate_password()
            user = await users.create_user(
                db,
                services(request).passwords,
                username=values["username"],
                display_name=values["display_name"],
                role=values["role"] or "host",
                password=password,
            )
            # The password is shown once, here, for the admin to hand over.
            created = {"username": user.username, "password": password}
    except ApiError as error:
        if not is_form_refusal(error):
            raise
        return await show_users(request, form=values, error=error)
    return await show_users(request, created=created)


async def change_user(request: Request) -> Response:
    try:
        async with services(request).db.begin() as db:
            principal = await require_user(request, db, admin=True)
            form = await read_form(request, principal)
            action = field(form, "action")
            if action not in ACTIONS and action != "reset_password":
                raise ApiError(400, "bad_request")
            user = await users.get_user(db, request.path_params["user_id"])
            username = user.username
            if action == "reset_password":
                password = generate_password()
                await users.reset_password(db, services(request).passwords, user, password)
            else:
                await users.update_user(db, principal.user, user, **ACTIONS[action])
    except ApiError as error:
        if not is_form_refusal(error):
            raise
        return await show_users(request, error=error)
    if action == "reset_password":
        # Shown once, on this page, for the admin to hand over.
        reset = {"username": username, "password": password}
        return await show_users(request, created=reset, reset=True)
    return redirect(request, "/admin/users", f"flash.user_{action}", username=username)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/users", show_users, methods=["GET"]),
        Route("/admin/users", add_user, methods=["POST"]),
        Route("/admin/users/{user_id:id}", change_user, methods=["POST"]),
    ]

"""Admin page: add host users, change roles, disable and enable accounts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import users
from server.auth import Principal, require_user
from server.console.forms import field, read_form
from server.console.rendering import redirect, render
from server.errors import ApiError
from server.i18n import request_locale
from server.passwords import generate_password

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
    form: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    context = {
        "users": await users.list_users(db),
        "created": created,
        "form": form or {},
        "error": error.message(request_locale(request)) if error else "",
    }
    status = error.status if error else (201 if created else 200)
    return render(request, "console/users.html", context, principal=principal, status=status)


async def show_users(request: Request) -> Response:
    async with request.app.state.db.begin() as db:
        principal = await require_user(request, db, admin=True)
        return await users_page(request, db, principal)


async def add_user(request: Request) -> Response:
    async with request.app.state.db.begin() as db:
        principal = await require_user(request, db, admin=True)
        form = await read_form(request, principal)
        values = {k: field(form, k) for k in ("username", "display_name", "role")}
        password = field(form, "password") or generate_password()
        try:
            user = await users.create_user(
                db,
                request.app.state.passwords,
                username=values["username"],
                display_name=values["display_name"],
                role=values["role"] or "host",
                password=password,
            )
        except ApiError as error:
            return await users_page(request, db, principal, form=values, error=error)
        # The password is shown once, here, for the admin to hand over.
        created = {"username": user.username, "password": password}
        return await users_page(request, db, principal, created=created)


async def change_user(request: Request) -> Response:
    async with request.app.state.db.begin() as db:
        principal = await require_user(request, db, admin=True)
        form = await read_form(request, principal)
        change = ACTIONS.get(field(form, "action"))
        if change is None:
            raise ApiError(400, "bad_request")
        user = await users.get_user(db, request.path_params["user_id"])
        try:
            async with db.begin_nested():
                await users.update_user(db, principal.user, user, **change)
        except ApiError as error:
            return await users_page(request, db, principal, error=error)
        username = user.username
    return redirect(
        request, "/admin/users", f"flash.user_{field(form, 'action')}", username=username
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/users", show_users, methods=["GET"]),
        Route("/admin/users", add_user, methods=["POST"]),
        Route("/admin/users/{user_id:id}", change_user, methods=["POST"]),
    ]

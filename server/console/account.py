"""The signed-in person's own account: password, login sessions, API tokens."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts import api_tokens, login_sessions, users
from server.accounts.attempts import begin_login_attempt
from server.accounts.auth import Principal, require_user, session_cookie
from server.accounts.passwords import check_strength
from server.console.forms import field, is_form_refusal, read_form
from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.web.errors import ApiError
from server.web.services import services


async def account_page(
    request: Request,
    db: AsyncSession,
    principal: Principal,
    *,
    new_token: str = "",
    error: ApiError | None = None,
    status: int = 200,
) -> Response:
    context = {
        "sessions": await login_sessions.list_sessions(db, principal.user.id),
        "current_session": principal.session.token_hash if principal.session else "",
        "tokens": await api_tokens.list_tokens(db, principal.user),
        "describe_device": login_sessions.describe_device,
        "new_token": new_token,
        "error": error.message(request_locale(request)) if error else "",
    }
    return render(
        request,
        "console/account.html",
        context,
        principal=principal,
        status=error.status if error else status,
        headers=error.headers if error else None,
    )


async def show_account(
    request: Request, *, new_token: str = "", error: ApiError | None = None, status: int = 200
) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db)
        return await account_page(
            request, db, principal, new_token=new_token, error=error, status=status
        )


async def change_password(request: Request) -> Response:
    try:
        async with services(request).db.begin() as db:
            principal = await require_user(request, db)
            form = await read_form(request, principal)
            new = field(form, "new_password")
            if new != field(form, "confirm_password"):
                raise ApiError(422, "password_mismatch")
            check_strength(new)
            # Someone holding a stolen session must not get to guess the
            # password here: it counts against the same limits as a login.
            attempt = await begin_login_attempt(request, principal.user.username)
            await users.change_password(
                db,
                services(request).passwords,
                principal.user,
                current=field(form, "current_password"),
                new=new,
                keep_session_hash=principal.session.token_hash if principal.session else None,
            )
    except ApiError as error:
        if not is_form_refusal(error):
            raise
        return await show_account(request, error=error)
    await attempt.succeeded(request)
    return redirect(request, "/account", "flash.password_changed")


async def create_token(request: Request) -> Response:
    try:
        async with services(request).db.begin() as db:
            principal = await require_user(request, db)
            form = await read_form(request, principal)
            _, raw = await api_tokens.create_token(db, principal.user, field(form, "name"))
    except ApiError as error:
        if not is_form_refusal(error):
            raise
        return await show_account(request, error=error)
    # Shown in this response only: never put into a redirect or a cookie.
    return await show_account(request, new_token=raw, status=201)


async def revoke_token(request: Request) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db)
        await read_form(request, principal)
        await api_tokens.revoke_token(db, principal.user, request.path_params["token_id"])
    return redirect(request, "/account#tokens", "flash.token_revoked")


async def end_all_sessions(request: Request) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db)
        await read_form(request, principal)
        await login_sessions.end_all_sessions(db, principal.user.id)
    response = redirect(request, "/login", "flash.logged_out_everywhere")
    response.headers.append("set-cookie", session_cookie(request, "", max_age=0))
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/account", show_account, methods=["GET"]),
        Route("/account/password", change_password, methods=["POST"]),
        Route("/account/tokens", create_token, methods=["POST"]),
        Route("/account/tokens/{token_id:id}/revoke", revoke_token, methods=["POST"]),
        Route("/account/sessions/end-all", end_all_sessions, methods=["POST"]),
    ]

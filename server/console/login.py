"""Logging in and out of the console."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import login_sessions, users
from server.auth import SESSION_COOKIE, authenticate, client_address, is_https, is_same_origin
from server.console.forms import field, read_form
from server.console.rendering import redirect, render, safe_next
from server.errors import ApiError
from server.i18n import request_locale
from server.rate_limits import Limit


def limits(request: Request) -> tuple[Limit, Limit]:
    settings = request.app.state.settings
    window = settings.login_window_seconds
    return (
        Limit(settings.login_attempts_per_account, window),
        Limit(settings.login_attempts_per_address, window),
    )


def login_page(request: Request, *, username: str = "", error: ApiError | None = None) -> Response:
    context = {
        "next": safe_next(request.query_params.get("next")),
        "username": username,
        "error": error.message(request_locale(request)) if error else "",
    }
    status = error.status if error else 200
    headers = error.headers if error else None
    return render(request, "login.html", context, status=status, headers=headers)


async def show_login(request: Request) -> Response:
    async with request.app.state.db.begin() as db:
        if await authenticate(request, db) is not None:
            return redirect(request, safe_next(request.query_params.get("next")))
    return login_page(request)


async def submit_login(request: Request) -> Response:
    # Login CSRF: a foreign page must not log a person into someone else's account.
    if not is_same_origin(request):
        return login_page(request, error=ApiError(403, "cross_origin_request"))
    form = await read_form(request, None)
    username = field(form, "username").strip().lower()[:64]
    password = field(form, "password")
    limiter = request.app.state.rate_limiter
    account_limit, address_limit = limits(request)
    keys = (
        (f"login:account:{username}", account_limit),
        (f"login:address:{client_address(request)}", address_limit),
    )

    waits = [await limiter.retry_after(key, limit) for key, limit in keys]
    wait = max((w for w in waits if w), default=None)
    if wait:
        error = ApiError(
            429,
            "too_many_logins",
            params={"minutes": math.ceil(wait / 60)},
            headers={"Retry-After": str(wait)},
        )
        return login_page(request, username=username, error=error)

    passwords = request.app.state.passwords
    async with request.app.state.db.begin() as db:
        user = await users.find_by_username(db, username) if username else None
        if not await passwords.verify(user.password_hash if user else None, password):
            for key, limit in keys:
                await limiter.hit(key, limit)
            return login_page(request, username=username, error=ApiError(401, "login_failed"))
        assert user is not None
        if not user.is_active:
            return login_page(request, username=username, error=ApiError(403, "account_disabled"))
        await limiter.reset(keys[0][0])
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = await passwords.hash(password)
        token = await login_sessions.start_session(
            db,
            user,
            days=request.app.state.settings.session_days,
            user_agent=request.headers.get("user-agent", ""),
            address=client_address(request),
        )
    response = redirect(request, safe_next(field(form, "next")))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=request.app.state.settings.session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )
    return response


async def logout(request: Request) -> Response:
    async with request.app.state.db.begin() as db:
        principal = await authenticate(request, db)
        if principal is not None and principal.session is not None:
            await read_form(request, principal)
            await login_sessions.end_session(db, request.cookies[SESSION_COOKIE])
    response = redirect(request, "/login", "flash.logged_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/login", show_login, methods=["GET"]),
        Route("/login", submit_login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]

"""Logging in and out of the console."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts import login_sessions, users
from server.accounts.attempts import begin_login_attempt
from server.accounts.auth import (
    SESSION_COOKIE,
    client_address,
    is_same_origin,
    session_cookie,
)
from server.console.rendering import redirect, render, safe_next
from server.i18n.locales import request_locale
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.forms import field, read_form
from server.web.services import services


def login_page(
    request: Request, *, next_path: str, username: str = "", error: ApiError | None = None
) -> Response:
    context = {
        "next": safe_next(next_path),
        "username": username,
        "error": error.message(request_locale(request)) if error else "",
    }
    status = error.status if error else 200
    headers = error.headers if error else None
    return render(request, "login.html", context, status=status, headers=headers)


@endpoint(who="anyone")
async def show_login(call: Call) -> Response:
    next_path = call.request.query_params.get("next", "/")
    if call.principal is not None:
        return redirect(call.request, safe_next(next_path))
    return login_page(call.request, next_path=next_path)


async def submit_login(request: Request) -> Response:
    # Login CSRF: a foreign page must not log a person into someone else's account.
    if not is_same_origin(request):
        error = ApiError(403, "cross_origin_request")
        return login_page(request, next_path="/", error=error)
    form = await read_form(request, None)
    username = field(form, "username").strip().lower()[:64]
    password = field(form, "password")
    next_path = field(form, "next")
    try:
        attempt = await begin_login_attempt(request, username)
    except ApiError as error:
        return login_page(request, next_path=next_path, username=username, error=error)

    passwords = services(request).passwords
    async with services(request).db.begin() as db:
        user = await users.find_by_username(db, username) if username else None
        stored_hash = user.password_hash if user else None
    # Verified outside any transaction: argon2 takes a while by design, and
    # a pooled connection should not wait on it.
    if not await passwords.verify(stored_hash, password):
        error = ApiError(401, "login_failed")
        return login_page(request, next_path=next_path, username=username, error=error)
    await attempt.succeeded(request)
    assert user is not None and stored_hash is not None
    if not user.is_active:
        error = ApiError(403, "account_disabled")
        return login_page(request, next_path=next_path, username=username, error=error)
    new_hash = await passwords.hash(password) if passwords.needs_rehash(stored_hash) else None

    async with services(request).db.begin() as db:
        user = await users.get_user(db, user.id)
        # The password may have been changed, or the user disabled, while it
        # was being checked; the check must hold for the account as it is now.
        if user.password_hash != stored_hash or not user.is_active:
            error = ApiError(401, "login_failed")
            return login_page(request, next_path=next_path, username=username, error=error)
        if new_hash:
            user.password_hash = new_hash
        # Logging in over an old login replaces it rather than leaving it live.
        if previous := request.cookies.get(SESSION_COOKIE):
            await login_sessions.end_session(db, previous)
        token = await login_sessions.start_session(
            db,
            user,
            days=services(request).settings.session_days,
            user_agent=request.headers.get("user-agent", ""),
            address=client_address(request),
        )
    response = redirect(request, safe_next(next_path))
    response.headers.append("set-cookie", session_cookie(request, token))
    return response


@endpoint(who="anyone")
async def logout(call: Call) -> Response:
    """Logging out: a login session's form must carry its CSRF token (the
    endpoint checks it); with no login there is nothing to end."""
    request = call.request
    if call.principal is not None and call.principal.session is not None:
        await login_sessions.end_session(call.db, request.cookies[SESSION_COOKIE])
    response = redirect(request, "/login", "flash.logged_out")
    response.headers.append("set-cookie", session_cookie(request, "", max_age=0))
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/login", show_login, methods=["GET"]),
        Route("/login", submit_login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]

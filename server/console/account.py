"""The signed-in person's own account: password, login sessions, API tokens,
and the licence photo (宅建士証) shown to customers in IT重説 mode."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from capture.ingest import MAX_BYTES
from server.accounts import api_tokens, cards, licences, login_sessions, users
from server.accounts.attempts import begin_login_attempt
from server.accounts.auth import session_cookie
from server.accounts.passwords import check_strength
from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.web.endpoints import Call, endpoint, form_post
from server.web.errors import ApiError
from server.web.forms import field


async def account_page(
    call: Call,
    *,
    new_token: str = "",
    form: dict[str, str] | None = None,
    error: ApiError | None = None,
    status: int = 200,
) -> Response:
    """The account page. ``form`` is not shown again: what is typed here
    is passwords and token names, entered afresh."""
    request, principal = call.request, call.principal
    assert principal is not None
    context = {
        "sessions": await login_sessions.list_sessions(call.db, principal.user.id),
        "current_session": principal.session.token_hash if principal.session else "",
        "tokens": await api_tokens.list_tokens(call.db, principal.user),
        "describe_device": login_sessions.describe_device,
        "new_token": new_token,
        # IT重説 (issue #14): the licence photo shown to customers.
        "licence": await licences.find(call.db, principal.user.id),
        "licence_limit_mb": MAX_BYTES // 2**20,
        # The business card (issue #15): summed up here, edited at /account/card.
        "card": await cards.find(call.db, principal.user.id),
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


@endpoint()
async def show_account(call: Call) -> Response:
    return await account_page(call)


@form_post(page=account_page)
async def change_password(call: Call) -> Response:
    form, principal = call.form, call.principal
    assert principal is not None
    new = field(form, "new_password")
    if new != field(form, "confirm_password"):
        raise ApiError(422, "password_mismatch")
    check_strength(new)
    # Someone holding a stolen session must not get to guess the
    # password here: it counts against the same limits as a login.
    attempt = await begin_login_attempt(call.request, principal.user.username)
    await users.change_password(
        call.db,
        call.services.passwords,
        principal.user,
        current=field(form, "current_password"),
        new=new,
        keep_session_hash=principal.session.token_hash if principal.session else None,
    )
    # Only once the new password is committed, as before a login succeeds.
    call.committed.append(lambda: attempt.succeeded(call.request))
    return redirect(call.request, "/account", "flash.password_changed")


@form_post(page=account_page)
async def create_token(call: Call) -> Response:
    _, raw = await api_tokens.create_token(call.db, call.user, field(call.form, "name"))
    # Shown in this response only: never put into a redirect or a cookie.
    return await account_page(call, new_token=raw, status=201)


@endpoint()
async def revoke_token(call: Call) -> Response:
    await api_tokens.revoke_token(call.db, call.user, call.request.path_params["token_id"])
    return redirect(call.request, "/account#tokens", "flash.token_revoked")


@endpoint()
async def end_all_sessions(call: Call) -> Response:
    await login_sessions.end_all_sessions(call.db, call.user.id)
    response = redirect(call.request, "/login", "flash.logged_out_everywhere")
    response.headers.append("set-cookie", session_cookie(call.request, "", max_age=0))
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/account", show_account, methods=["GET"]),
        Route("/account/password", change_password, methods=["POST"]),
        Route("/account/tokens", create_token, methods=["POST"]),
        Route("/account/tokens/{token_id:id}/revoke", revoke_token, methods=["POST"]),
        Route("/account/sessions/end-all", end_all_sessions, methods=["POST"]),
    ]

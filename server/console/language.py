"""The language switch in the page footer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.auth import is_https
from server.console.rendering import redirect, safe_next
from server.i18n.locales import LANG_COOKIE, LOCALES
from server.web.errors import ApiError


async def switch_language(request: Request) -> Response:
    locale = request.path_params["locale"]
    if locale not in LOCALES:
        raise ApiError(404, "not_found")
    response = redirect(request, safe_next(request.query_params.get("next")))
    response.set_cookie(
        LANG_COOKIE, locale, max_age=365 * 86400, path="/", samesite="lax", secure=is_https(request)
    )
    return response


def routes() -> list[BaseRoute]:
    return [Route("/lang/{locale}", switch_language, methods=["GET"])]

"""``/api/v1/embed``: what the snippet may ask before it is let in.

When a page on an origin its site has not registered calls the guest API,
the browser refuses the CORS preflight and the snippet sees only a network
error: it cannot tell the guest, or the owner trying it out, what is wrong.
``GET /api/v1/embed/origin`` answers that question for every origin, with
``Access-Control-Allow-Origin: *`` and no credentials: a CORS simple request
whose answer any page may read. It says no more than a refused call would
(whether this key's site takes calls from this origin), never the site's
name or its other origins.

It lives outside ``/api/v1/guest/`` on purpose: ``GuestCors`` would add a
second ``Access-Control-Allow-Origin`` header there.
"""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.accounts import sites
from server.accounts.attempts import address_limit_key, begin_attempt
from server.accounts.auth import is_same_origin
from server.accounts.rate_limits import Limit
from server.i18n.locales import request_locale, translate
from server.storage.models import Site
from server.web.cors import site_allows
from server.web.errors import ApiError, error_response
from server.web.openapi import operation
from server.web.payloads import Output, has_control_characters, respond
from server.web.services import services

ORIGIN_CHECKS = Limit(count=60, seconds=60)
MAX_SITE_KEY = 40  # the column's size
# Readable by any page, cached by nobody: the answer changes as soon as the
# owner registers the origin, and differs by Origin and language.
OPEN_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": "no-store",
    "Vary": "Origin, Accept-Language",
}


class OriginCheck(Output):
    origin: str | None = Field(description="The request's Origin header, as the browser sent it")
    allowed: bool = Field(description="Whether the guest API takes calls from this origin")
    reason: str | None = Field(
        description="null when allowed; else origin_not_registered, site_disabled or site_unknown"
    )
    message: str = Field(description="A sentence for the site owner, in the request's language")


def verdict(origin: str | None, site: Site | None, site_key: str, allowed: bool) -> tuple:
    """Why a guest call from ``origin`` would be refused (``None``: it would
    not be), and the catalog key of the sentence that tells the owner."""
    if site is None:
        return "site_unknown", "embed.origin.site_unknown" if site_key else "embed.origin.no_key"
    if not site.is_active:
        return "site_disabled", "embed.origin.site_disabled"
    if allowed:
        return None, "embed.origin.allowed"
    # file:// pages and sandboxed frames have the opaque origin "null":
    # registering it would not help; serving the page over http(s) does.
    if origin == "null":
        return "origin_not_registered", "embed.origin.opaque"
    return "origin_not_registered", "embed.origin.not_registered"


def printable(text: str) -> str:
    return "".join(c for c in text if not has_control_characters(c))


async def origin_check(request: Request) -> Response:
    try:
        await begin_attempt(
            request,
            [(address_limit_key(request, "embed-origin"), ORIGIN_CHECKS)],
            code="too_many_origin_checks",
        )
    except ApiError as error:
        # Readable by the page too, so the snippet can say "wait" rather
        # than "network error".
        refused = error_response(request, error)
        refused.headers.update(OPEN_HEADERS)
        return refused
    origin = request.headers.get("origin")
    site_key = request.query_params.get("site_key", "").strip()
    site: Site | None = None
    allowed = False
    # A key that no site can have is not looked up (NUL would upset PostgreSQL).
    if 0 < len(site_key) <= MAX_SITE_KEY and not has_control_characters(site_key):
        async with services(request).db() as db:
            site = await sites.find_by_key(db, site_key)
            if site is not None:
                # No Origin, or our own: not a browser on another page, which
                # is how the guest API treats it too.
                allowed = (
                    origin is None or is_same_origin(request) or await site_allows(db, site, origin)
                )
    reason, message = verdict(origin, site, site_key, allowed)
    params = {"origin": printable(origin or "")[:200], "site_key": printable(site_key)[:60]}
    answer = {
        "origin": origin,
        "allowed": reason is None,
        "reason": reason,
        "message": translate(request_locale(request), message, **params),
    }
    response = respond(OriginCheck, answer)
    response.headers.update(OPEN_HEADERS)
    return response


def routes() -> list[BaseRoute]:
    return [
        operation(
            "GET",
            "/api/v1/embed/origin",
            origin_check,
            summary="Whether the guest API takes calls from the calling page's origin "
            "(?site_key=pk_...): a CORS simple request any origin may read "
            "(Access-Control-Allow-Origin: *), always 200 but when rate-limited",
            auth="none",
            response=OriginCheck,
            errors=((429, "too_many_origin_checks"),),
            tag="guest",
        ),
    ]

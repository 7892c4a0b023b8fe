"""Cross-origin calls from the snippet on website owners' pages.

Only ``/api/v1/guest/...`` is open to other origins, and only to origins a
registered, active site allows. A preflight carries an Origin but no site
key or token, so it is answered by looking the origin up (an indexed
column); each real request is then checked against the one site the guest
belongs to (:func:`check_guest_origin`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.accounts.auth import is_same_origin
from server.storage.models import Guest, Site, SiteOrigin
from server.web.errors import ApiError
from server.web.services import services

GUEST_API = "/api/v1/guest/"
# Idempotency-Key: the snippet names each capture, so a retry is not stored twice.
ALLOW_HEADERS = b"authorization, content-type, idempotency-key"
# Retry-After is not a CORS-safelisted response header: without this the
# snippet could not read how long a busy server asks it to wait.
EXPOSE_HEADERS = b"retry-after"
ALLOW_METHODS = b"GET, POST, OPTIONS"


async def is_site_origin(db: AsyncSession, origin: str) -> bool:
    """Does any active site allow ``origin``?"""
    found = await db.scalar(
        select(SiteOrigin.id)
        .join(Site, Site.id == SiteOrigin.site_id)
        .where(SiteOrigin.origin == origin.lower(), Site.is_active)
        .limit(1)
    )
    return found is not None


async def site_allows(db: AsyncSession, site: Site, origin: str) -> bool:
    return site.is_active and origin.lower() in site.origin_list


async def check_guest_origin(connection: HTTPConnection, db: AsyncSession, guest: Guest) -> None:
    """A guest's calls come from our own pages or from their site's origins."""
    origin = connection.headers.get("origin")
    if origin is None or is_same_origin(connection):
        return
    site = await db.get(Site, guest.site_id) if guest.site_id else None
    if site is None or not await site_allows(db, site, origin):
        raise ApiError(403, "origin_not_allowed")


class GuestCors:
    """CORS for the guest API: preflights answered, allowed origins echoed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUEST_API):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        origin = connection.headers.get("origin")
        if origin is None or is_same_origin(connection):
            await self.app(scope, receive, send)
            return
        async with services(scope["app"]).db() as db:
            allowed = await is_site_origin(db, origin)
        cors = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-expose-headers", EXPOSE_HEADERS),
            (b"vary", b"Origin"),
        ]
        if scope["method"] == "OPTIONS" and "access-control-request-method" in connection.headers:
            status = 204 if allowed else 403
            headers = [
                *(cors if allowed else [(b"vary", b"Origin")]),
                (b"access-control-allow-methods", ALLOW_METHODS),
                (b"access-control-allow-headers", ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if not allowed:
            await self.app(scope, receive, send)  # the endpoint refuses it in words
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)

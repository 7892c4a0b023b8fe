"""Who is asking: a console login (cookie) or an integration (API token).

Cookie-authenticated state changes must prove they come from our own pages:
the ``Origin`` header, when a browser sends one, must be ours, and a CSRF
token bound to the login session must come along (form field or
``X-CSRF-Token`` header). Bearer tokens are never sent by a browser on its
own, so they need neither. The checks are made for every handler by
:func:`server.web.endpoints.endpoint`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection, Request
from starlette.types import Scope

from server.accounts.api_tokens import resolve_token
from server.accounts.login_sessions import resolve_session
from server.storage.models import ApiToken, LoginSession, User
from server.web.errors import ApiError
from server.web.response_headers import Headers
from server.web.services import services

SESSION_COOKIE = "tsunagu_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFRESHED_COOKIE = "tsunagu.refreshed_cookie"


@dataclass(frozen=True)
class Principal:
    user: User
    session: LoginSession | None = None
    token: ApiToken | None = None


async def authenticate(request: HTTPConnection, db: AsyncSession) -> Principal | None:
    """Resolve the caller, or ``None`` when there are no credentials.

    A bearer token that does not resolve is an error rather than a fall
    back to the cookie, so a broken integration is told so plainly. Other
    ``Authorization`` schemes (a proxy's Basic auth, say) are not ours and
    are ignored.
    """
    settings = services(request).settings
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        token = await resolve_token(db, value.strip())
        if token is None:
            raise ApiError(401, "invalid_token", headers={"WWW-Authenticate": "Bearer"})
        return Principal(user=token.user, token=token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = await resolve_session(db, cookie, days=settings.session_days)
        if session is not None:
            if session.refreshed:
                request.scope[REFRESHED_COOKIE] = session_cookie(request, cookie)
            return Principal(user=session.user, session=session)
    return None


def csrf_token(request: Request, session: LoginSession) -> str:
    """The CSRF token for a login session: derived, so nothing more is stored."""
    key = services(request).settings.secret_key.encode()
    return hmac.new(key, b"csrf:" + session.token_hash.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, principal: Principal, submitted: str) -> None:
    if not is_same_origin(request):
        raise ApiError(403, "cross_origin_request")
    if principal.session is None:
        return
    if not hmac.compare_digest(submitted.encode(), csrf_token(request, principal.session).encode()):
        raise ApiError(403, "csrf_failed")


def check_form_csrf(request: Request, principal: Principal, form: object) -> None:
    value = form.get(CSRF_FIELD, "") if hasattr(form, "get") else ""
    check_csrf(request, principal, value if isinstance(value, str) else "")


def is_same_origin(request: HTTPConnection) -> bool:
    """False only when a browser says the request came from another origin.

    Requests without ``Origin`` come from non-browser clients (browsers send
    it on every cross-origin and every POST request), which cannot be forged
    into sending our cookie.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    # A WebSocket's URL is ws(s)://, but the page that opened it is http(s)://.
    scheme = {"ws": "http", "wss": "https"}.get(request.url.scheme, request.url.scheme)
    own = {f"{scheme}://{request.url.netloc}".lower()}
    public_url = services(request).settings.public_url
    if public_url:
        parts = urlsplit(public_url)
        own.add(f"{parts.scheme}://{parts.netloc}".lower())
    return origin.lower() in own


def session_cookie(request: HTTPConnection, token: str, *, max_age: int | None = None) -> str:
    """The ``Set-Cookie`` value for a login session (``max_age=0`` deletes it)."""
    cookie = SimpleCookie()
    cookie[SESSION_COOKIE] = token
    morsel = cookie[SESSION_COOKIE]
    days = services(request).settings.session_days
    morsel["max-age"] = str(days * 86400 if max_age is None else max_age)
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if is_https(request):
        morsel["secure"] = True
    return morsel.OutputString()


def refreshed_session_cookie(scope: Scope, headers: Headers) -> Headers:
    """Re-send the session cookie when this request slid its server-side
    expiry forward, so a console used every day stays logged in in the
    browser too. A response that logs in or out sets the cookie itself."""
    cookie = scope.get(REFRESHED_COOKIE)
    if not cookie:
        return []
    prefix = SESSION_COOKIE.encode() + b"="
    if any(name.lower() == b"set-cookie" and value.startswith(prefix) for name, value in headers):
        return []
    return [(b"set-cookie", cookie.encode("latin-1"))]


def client_address(request: HTTPConnection) -> str:
    # uvicorn has already replaced this with X-Forwarded-For when the peer is
    # a trusted proxy (TSUNAGU_FORWARDED_ALLOW_IPS).
    return request.client.host if request.client else ""


def is_https(request: HTTPConnection) -> bool:
    public_url = services(request).settings.public_url
    return request.url.scheme in ("https", "wss") or public_url.startswith("https://")

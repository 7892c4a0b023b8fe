"""Every mounted route, walked: no cookie-authenticated state change escapes
the CSRF check, and every route that acts for a logged-in person goes
through ``server.web.endpoints.endpoint``.

A route added without the endpoint helper fails here: either it changes
state with the cookie and no token (the walk expects the refusal), or it is
simply not declared with the helper and not in the lists below.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from server.live.sockets import FORBIDDEN
from server.web.endpoints import MARK
from server.web.errors import ApiError
from tests.conftest import http_client, log_in

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# Unsafe routes that never act on the login cookie, and why.
NOT_COOKIE_AUTHENTICATED = {
    # Logging in: there is no session yet. It refuses a foreign Origin
    # itself (login CSRF), see test_login.py.
    ("POST", "/login"): "login",
    # The guest's browser: a bearer guest token, or nothing (a number, a
    # join link); the host's cookie is never read.
    ("POST", "/api/v1/guest/numbers"): "guest",
    ("POST", "/api/v1/guest/links"): "guest",
    ("POST", "/api/v1/guest/leave"): "guest",
    ("POST", "/api/v1/guest/knock"): "guest",
    ("POST", "/api/v1/guest/captures"): "guest",
    ("POST", "/api/v1/guest/pages"): "guest",
    ("POST", "/api/v1/guest/recording-consent"): "guest",
    # Files (issue #15): the guest's token; a download link is signed itself.
    ("POST", "/api/v1/guest/files/uploads"): "guest",
    ("POST", "/api/v1/guest/files/uploads/{upload_id}"): "guest",
    ("POST", "/api/v1/guest/files/uploads/{upload_id}/cancel"): "guest",
    ("POST", "/api/v1/guest/files/{file_id:id}/link"): "guest",
    ("POST", "/api/v1/guest/screen"): "guest",  # issue #15
    # Document share (issue #15): guest token.
    ("POST", "/api/v1/guest/document/view"): "guest",
    ("POST", "/api/v1/guest/documents/{document_id:id}/download-link"): "guest",
    ("POST", "/api/v1/guest/live-view"): "guest",  # the live view (issue #16)
    # Twilio's delivery reports, signed with the account's auth token.
    ("POST", "/sms/status"): "twilio",
}
# WebSockets that never act on the login cookie: the guest's, by guest token.
NOT_COOKIE_SOCKETS = {"/api/v1/guest/live"}
# Routes that do not act for a logged-in person, so are not declared with
# the endpoint helper: public pages and files, the guest's and the snippet's
# API (guest tokens, site origins), the API's description, the health check.
NOT_FOR_USERS = {
    "/healthz",
    "/favicon.ico",
    "/api/v1/openapi.json",
    "/api/v1/guest/numbers",
    "/api/v1/guest/links",
    "/api/v1/guest/session",
    "/api/v1/guest/leave",
    "/api/v1/guest/knock",
    "/api/v1/guest/captures",
    "/api/v1/guest/pages",
    "/api/v1/guest/recording-consent",
    "/api/v1/guest/recording",
    "/api/v1/guest/screen",  # issue #15: guest token
    "/api/v1/guest/call",
    "/api/v1/guest/it",  # IT重説 (issue #14): guest token
    "/api/v1/guest/it/licence",
    "/api/v1/guest/card",  # the business card (issue #15): guest token
    "/api/v1/guest/card/image",
    "/api/v1/guest/card.vcf",
    "/api/v1/guest/files",  # files (issue #15): guest token
    "/api/v1/guest/files/uploads",
    "/api/v1/guest/files/uploads/{upload_id}",
    "/api/v1/guest/files/uploads/{upload_id}/cancel",
    "/api/v1/guest/files/{file_id:id}/link",
    "/api/v1/files/{file_id:id}/download/{signed}",  # a signed, short-lived link
    # Document share (issue #15): guest token, or a signed download link.
    "/api/v1/guest/document",
    "/api/v1/guest/document/view",
    "/api/v1/guest/documents/{document_id:id}/pages/{number:id}/{size}",
    "/api/v1/guest/documents/{document_id:id}/download-link",
    "/api/v1/guest/document-files/{signed}",
    "/api/v1/guest/live-view",  # the live view (issue #16): guest token
    # The empty page the live view is replayed in: no data, no session read.
    "/live-view/frame",
    "/api/v1/embed/origin",
    "/sms/status",
    "/login",  # GET is declared (who="anyone"); POST logs in, see above
    "/join",
    "/join/qr",
    "/join/qr.svg",
    "/j/{token}",
    "/lang/{locale}",
}


def walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route with its full path, into mounted routers."""
    for route in routes:
        if isinstance(route, Mount):
            if isinstance(route.app, StaticFiles):
                continue  # files only: StaticFiles answers 405 to anything but GET/HEAD
            yield from walk(route.routes, prefix + route.path)
        else:
            yield prefix + route.path, route


def concrete(path: str) -> str:
    """A URL for a route's path: ids are 1, other parameters ``x``. The
    CSRF check comes before anything looks them up."""
    path = re.sub(r"\{\w+:id\}", "1", path)
    return re.sub(r"\{\w+(:\w+)?\}", "x", path)


@pytest.fixture
async def cookie_client(app, make_user) -> AsyncIterator[httpx.AsyncClient]:
    """A console login (cookie only, no CSRF token) of an admin, so that
    admin-only routes get as far as the CSRF check."""
    await make_user("boss", role="admin")
    async with http_client(app) as client:
        client.headers["accept-language"] = "en"
        response = await log_in(client, "boss")
        assert response.status_code == 303 and "tsunagu_session" in client.cookies
        yield client


async def test_no_cookie_state_change_escapes_the_csrf_check(app, cookie_client):
    client = cookie_client
    refusal = ApiError(403, "csrf_failed")
    checked = []
    for path, route in walk(app.routes):
        if not isinstance(route, Route):
            continue
        for method in sorted((route.methods or set()) & UNSAFE):
            if (method, path) in NOT_COOKIE_AUTHENTICATED:
                continue
            url = concrete(path)
            if path.startswith("/api/"):
                response = await client.request(method, url, json={})
                assert response.status_code == 403, (method, path, response.text)
                assert response.json()["error"]["code"] == refusal.code, (method, path)
            else:
                # A form, so that only the missing token is wrong with it.
                response = await client.request(method, url, data={"field": "value"})
                assert response.status_code == 403, (method, path, response.text)
                assert refusal.message("en") in response.text, (method, path)
            checked.append((method, path))
    # The walk did reach the API and the console (a broken walk proves nothing).
    assert ("DELETE", "/api/v1/tokens/{token_id:id}") in checked
    assert ("POST", "/admin/sites/{site_id:id}") in checked
    assert ("POST", "/logout") in checked


async def test_the_exceptions_are_real_routes(app):
    """Each allowed exception names a route that exists: a renamed route
    must not leave a stale entry (and a hole) behind."""
    unsafe = {
        (method, path)
        for path, route in walk(app.routes)
        if isinstance(route, Route)
        for method in (route.methods or set()) & UNSAFE
    }
    assert set(NOT_COOKIE_AUTHENTICATED) <= unsafe
    paths = {path for path, _ in walk(app.routes)}
    assert paths >= NOT_FOR_USERS
    assert paths >= NOT_COOKIE_SOCKETS


async def test_every_route_for_users_is_declared_with_the_endpoint_helper(app):
    undeclared = [
        path
        for path, route in walk(app.routes)
        if isinstance(route, Route)
        and path not in NOT_FOR_USERS
        and not hasattr(route.endpoint, MARK)
    ]
    assert undeclared == []


async def test_cookie_sockets_refuse_a_foreign_page(app, cookie_client):
    """A WebSocket cannot carry a CSRF token; the console's sockets refuse,
    before accepting, a handshake that a page of another origin started
    with the person's cookie (cross-site WebSocket hijacking)."""
    cookie = f"tsunagu_session={cookie_client.cookies['tsunagu_session']}"
    sockets = [
        path
        for path, route in walk(app.routes)
        if isinstance(route, WebSocketRoute) and path not in NOT_COOKIE_SOCKETS
    ]
    assert "/api/v1/live" in sockets
    for path in sockets:
        sent = await handshake(app, concrete(path), cookie, origin="https://evil.example")
        assert sent[0] == {"type": "websocket.close", "code": FORBIDDEN, "reason": ""}, path


async def handshake(app, path: str, cookie: str, *, origin: str) -> list[dict]:
    """What the app sends when a browser opens ``path`` (then goes away)."""
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "server": ("testserver", 80),
        "client": ("198.51.100.7", 40000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"cookie", cookie.encode()),
            (b"origin", origin.encode()),
        ],
        "subprotocols": [],
    }
    incoming = [{"type": "websocket.connect"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1001}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent

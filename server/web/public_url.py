"""The address people and snippets use to reach this server."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from server.web.services import services


def base_url(connection: HTTPConnection) -> str:
    """``TSUNAGU_PUBLIC_URL`` when set (behind a proxy it is the only
    reliable answer), else the scheme and host this request came in on."""
    configured = services(connection).settings.public_url
    if configured:
        return configured
    return f"{connection.url.scheme}://{connection.url.netloc}"

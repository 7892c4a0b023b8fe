"""Adding headers to responses as they start, for concerns that span every
route (security headers, a renewed session cookie)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]
# Given the request scope and the response's headers, the headers to add.
HeaderSource = Callable[[Scope, Headers], Headers]


class AddHeaders:
    """ASGI middleware: append what ``source`` returns to each HTTP response."""

    def __init__(self, app: ASGIApp, source: HeaderSource) -> None:
        self.app = app
        self.source = source

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                extra = self.source(scope, headers)
                if extra:
                    message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)

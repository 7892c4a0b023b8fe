"""The HTTP transport: uvicorn's httptools protocol with the limits it lacks.

Uvicorn bounds neither the size of a request's headers (httptools buffers
any amount; a 64 MB header was accepted) nor the time a client may take to
send them or its body (only idle keep-alive connections time out), so a
few hundred slow clients could hold every connection a process has. This
protocol adds, per request:

- a header size limit: past ``MAX_HEADER_BYTES`` the client gets 431 and
  the connection is closed;
- a header read timeout: the request line and headers must arrive within
  ``header_timeout`` seconds of the connection opening (or of the first
  byte of a later request on a kept-alive connection), else 408;
- a body read timeout: while a body is being received, each chunk must
  follow the previous one within ``body_timeout`` seconds (nginx's
  ``client_body_timeout``); time the app itself makes the client wait
  (reading paused by flow control) does not count.

A reverse proxy in front should enforce its own limits too (docs/DEPLOY.md);
these keep a server reached directly from being tied up.
"""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.i18n.locales import translate
from server.settings import Settings

# Browsers send a few KB (cookies included); nginx's default is 4 x 8 KB.
MAX_HEADER_BYTES = 32 * 1024


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol with a header size limit and header and
    body read timeouts (class attributes, set by :func:`http_protocol`)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_header_bytes: int = MAX_HEADER_BYTES

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._reading_headers = True
        self._reading_body = False
        self._header_bytes = 0
        self._read_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._start_timer(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_body:
            self._start_timer(self.body_timeout)  # a chunk came: the clock starts over
        super().data_received(data)
        if self._reading_headers and not self.transport.is_closing():
            # Counted after parsing: a chunk that completes the headers may
            # carry the start of the body too, which is not a header byte.
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                self._refuse(431, "Request Header Fields Too Large", "request_header_too_large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers = True
        self._header_bytes = 0
        if self._read_timer is None:  # a later request on a kept-alive connection
            self._start_timer(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._stop_timer()
        super().on_headers_complete()
        # A request without a body completes at once (on_message_complete
        # stops this timer in the same parse); a WebSocket upgrade hands the
        # connection to another protocol, which has its own limits.
        if not self.parser.should_upgrade():
            self._reading_body = True
            self._start_timer(self.body_timeout)

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._stop_timer()
        super().on_message_complete()

    def _start_timer(self, seconds: float) -> None:
        self._stop_timer()
        self._read_timer = self.loop.call_later(seconds, self._read_timed_out)

    def _stop_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self._reading_body and self.flow.read_paused:
            # The app is not reading the body yet: the wait is ours.
            self._start_timer(self.body_timeout)
            return
        if self._reading_headers or (self._reading_body and not self._response_started()):
            self._refuse(408, "Request Timeout", "request_timeout")
        elif self._reading_body:
            self.transport.close()  # the app already answered; just end it

    def _response_started(self) -> bool:
        return self.cycle is not None and self.cycle.response_started

    def _refuse(self, status: int, phrase: str, code: str) -> None:
        """Answer with the API's error shape and close the connection."""
        self._stop_timer()
        message = translate("en", f"error.{code}")
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        head = (
            f"HTTP/1.1 {status} {phrase}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()
        if self.cycle is not None:
            # An app still waiting for the body hears the client is gone.
            self.cycle.disconnected = True
            self.cycle.message_event.set()


def http_protocol(settings: Settings) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for uvicorn's ``http`` option, with the settings'
    timeouts."""
    return type(
        "TsunaguHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {"header_timeout": settings.header_timeout, "body_timeout": settings.body_timeout},
    )

"""``SmsSender``: one small interface, two implementations.

:class:`TwilioSender` sends through the official ``twilio`` client (its
asynchronous HTTP client, so a slow Twilio never blocks the event loop).
:class:`OutboxSender` sends nothing: the stored message *is* the outbox,
shown in the console with its link, so the whole flow works on one machine
with nothing configured.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import anyio
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

log = logging.getLogger("tsunagu.sms")
TWILIO_TIMEOUT = 10.0


@dataclass(frozen=True)
class Sent:
    """What the provider said when it took the message."""

    provider_id: str | None
    status: str


class SmsRefused(Exception):
    """The provider will not send this message (a bad number, an account
    setting): sending it again as it is would fail again."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class SmsUnavailable(Exception):
    """The provider could not be reached or failed; trying later may work."""


class SmsUncertain(Exception):
    """The request may have reached the provider (it timed out, or the
    connection broke after it went out): the SMS may be on its way."""


class SmsSender(Protocol):
    name: str

    async def send(self, *, to: str, body: str, status_callback: str) -> Sent: ...

    async def close(self) -> None: ...


class OutboxSender:
    name = "outbox"

    async def send(self, *, to: str, body: str, status_callback: str) -> Sent:
        return Sent(provider_id=None, status="outbox")

    async def close(self) -> None:
        pass


class _TwilioHttpClient(AsyncTwilioHttpClient):
    """Twilio's own HTTP client, with two changes: the credentials go in an
    ``Authorization`` header that we encode (Twilio's client wraps them in
    aiohttp's ``BasicAuth``, deprecated since aiohttp 3.14 and to be removed
    in 4.0), and with ``api_base`` requests go to another base URL (a local
    fake of the Messages API in tests). Requests are otherwise untouched."""

    def __init__(self, api_base: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.api_base = api_base.rstrip("/")

    async def request(
        self,
        method: str,
        url: str,
        *args,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        **kwargs,
    ) -> Response:
        if auth is not None:
            headers = {**(headers or {}), "Authorization": basic_authorization(*auth)}
        if self.api_base:
            parts = urlsplit(url)
            url = self.api_base + parts.path + (f"?{parts.query}" if parts.query else "")
        return await super().request(method, url, *args, headers=headers, auth=None, **kwargs)


def basic_authorization(login: str, password: str) -> str:
    """An HTTP Basic ``Authorization`` value (RFC 7617) for an account SID
    or API key and its secret."""
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode("ascii")


class TwilioSender:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str = "",
        messaging_service_sid: str = "",
        api_base: str = "",
    ) -> None:
        http = _TwilioHttpClient(api_base, timeout=TWILIO_TIMEOUT)
        self._http = http
        self._client = Client(account_sid, auth_token, http_client=http)
        self._from = from_number
        self._service = messaging_service_sid

    async def send(self, *, to: str, body: str, status_callback: str) -> Sent:
        sender = (
            {"messaging_service_sid": self._service} if self._service else {"from_": self._from}
        )
        try:
            # twilio's async client does not apply its own timeout to calls;
            # a stalled connection must not hold the host's request forever.
            with anyio.fail_after(TWILIO_TIMEOUT):
                message = await self._client.messages.create_async(
                    to=to, body=body, status_callback=status_callback, **sender
                )
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:  # busy or down: try again later
                raise SmsUnavailable(f"Twilio answered {exc.status}") from exc
            log.warning("Twilio refused a message: %s %s", exc.code, exc.msg)
            raise SmsRefused(str(exc.code or exc.status), exc.msg or "") from exc
        except (aiohttp.ClientConnectorError, ConnectionRefusedError) as exc:
            raise SmsUnavailable(f"Twilio could not be reached: {exc!r}") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise SmsUncertain(f"no answer from Twilio: {exc!r}") from exc
        return Sent(provider_id=message.sid, status=message.status or "queued")

    async def close(self) -> None:
        await self._http.close()


def create_sender(settings) -> SmsSender:
    """Twilio when its credentials are set, else the outbox."""
    if not settings.sms_enabled:
        return OutboxSender()
    return TwilioSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        from_number=settings.twilio_from,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        api_base=settings.twilio_api_base,
    )

"""Sending a meeting's join link by SMS (an invitation), and following its delivery.

Order of work for one send: the number is normalised and checked (nothing
is paid for a number that cannot take an SMS), the rate limits are taken,
the message is stored, the provider is called outside any transaction, and
what it answered is stored and pushed to the host's meeting view. Status
callbacks then move the message along; its history keeps every step.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from server.accounts.attempts import Check, begin_attempt
from server.accounts.rate_limits import Limit
from server.i18n.locales import request_locale, translate
from server.meetings import knocks, prepared
from server.meetings import lifecycle as meetings
from server.storage.models import Meeting, SmsMessage, SmsStatus, User, utcnow
from server.web.errors import ApiError
from server.web.public_url import base_url
from server.web.services import services
from sms import body as sms_body
from sms import links
from sms.links import join_url
from sms.phones import mask_phone, normalize_phone
from sms.senders import SmsRefused, SmsUnavailable, SmsUncertain

# How far along a message is. Twilio's callbacks can arrive out of order
# (a late "sent" after "delivered"); the message keeps the furthest status,
# its history keeps them all.
STATUS_RANK = {
    "created": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 4,
    "outbox": 4,
    # We could not tell whether Twilio took it; a status callback settles it.
    "unknown": 0,
}
FINAL_RANK = 4
DUPLICATE_SECONDS = 60
log = logging.getLogger("tsunagu.sms")


class SmsRefusedError(ApiError):
    """The provider refused the message; the message says why in plain words."""

    def __init__(self, provider_code: str) -> None:
        super().__init__(422, "sms_refused", details=[{"provider_code": provider_code}])
        self.provider_code = provider_code

    def message(self, locale: str) -> str:
        return translate(locale, "error.sms_refused", reason=explain(locale, self.provider_code))


def explain(locale: str, code: str | None) -> str:
    """A plain-language reason for a Twilio error code, for the host."""
    if not code:
        return ""
    key = f"sms.error.{code}"
    text = translate(locale, key)
    return text if text != key else translate(locale, "sms.error.other", code=code)


def message_out(message: SmsMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "meeting_id": message.meeting_id,
        "to": mask_phone(message.to_number),
        "body": message.body,
        "link": message.link,
        "segments": message.segments,
        "provider": message.provider,
        "status": message.status,
        "error_code": message.error_code,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
        "history": [
            {"status": s.status, "error_code": s.error_code, "time": s.created_at}
            for s in message.statuses
        ],
    }


def status_event(message: SmsMessage) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "to": mask_phone(message.to_number),
        "status": message.status,
        "error_code": message.error_code,
        "provider": message.provider,
    }


def preview(request: Request) -> dict[str, Any]:
    """The body a send would have now, and its cost, for the console.

    Each message gets a link of its own when it is sent, so the preview has
    none: a placeholder that is not a URL stands where it goes (a sample
    link would look usable, and open only 「このリンクは使えません」). The cost
    is counted with a stand-in as long as a real link (within a character).
    """
    settings = services(request).settings
    stand_in = join_url(base_url(request), settings.secret_key, 999_999)
    billed = sms_body.compose(settings.company_name, stand_in, settings.link_minutes)
    placeholder = translate(request_locale(request), "invite.link_placeholder")
    text = sms_body.compose(settings.company_name, placeholder, settings.link_minutes)
    return {"body": text, "segments": sms_body.segments(billed)}


async def _give_back(request: Request, keys: list[str]) -> None:
    for key in keys:
        await services(request).rate_limiter.undo(key)


async def send_link(
    request: Request, host: User, phone: str, meeting_id: int | None = None
) -> tuple[Meeting, SmsMessage]:
    """Send the join link of ``meeting_id`` (or of a new waiting meeting) to
    ``phone``. Raises a 4xx for a bad number, a limit, a duplicate or a
    provider refusal; a new meeting whose first SMS failed is ended."""
    app = request.app
    settings = services(app).settings
    to = normalize_phone(phone, region=settings.sms_region, countries=settings.sms_countries)
    if meeting_id is not None:
        async with services(app).db.begin() as db:
            meeting = await meetings.get_meeting(db, host, meeting_id)
            if meeting.state == "ended":
                raise ApiError(409, "meeting_ended")
    duplicate_key = f"sms:duplicate:{meeting_id or f'new:{host.id}'}:{to}"
    global_key = "sms:all"
    attempt = await begin_attempt(
        request,
        [
            # A double click, or a second tap while the first is on its way.
            Check(duplicate_key, Limit(1, DUPLICATE_SECONDS), 409, "sms_duplicate"),
            Check(
                f"sms:number:{to}",
                Limit(settings.sms_per_number_per_10_minutes, 600),
                code="too_many_sms_to_number",
            ),
            Check(
                f"sms:host:{host.id}",
                Limit(settings.sms_per_host_per_hour, 3600),
                code="too_many_sms_from_host",
            ),
            Check(global_key, Limit(settings.sms_per_hour, 3600)),
        ],
        code="too_many_sms",
        all_or_nothing=True,
    )
    taken = list(attempt.keys)
    sender = services(app).sms_sender
    try:
        async with meetings.transaction(app) as db:
            if meeting_id is None:
                meeting = await meetings.create_waiting(
                    db, host, waiting_room=knocks.waiting_room_default(settings, host)
                )
                # Sending this new meeting's link again at once is a duplicate too.
                meeting_key = f"sms:duplicate:{meeting.id}:{to}"
                await services(app).rate_limiter.hit(meeting_key, Limit(1, DUPLICATE_SECONDS))
                taken.append(meeting_key)
            else:
                meeting = await meetings.get_meeting(db, host, meeting_id)
                if meeting.state == "ended":
                    raise ApiError(409, "meeting_ended")
            # A prepared meeting's SMS link lasts as long as its own link.
            made = await prepared.prepared_link(db, meeting.id) if meeting.prepared else None
            until = made.expires_at if made is not None else None
            if until is not None and until <= utcnow():
                # A link that expired before it is sent would only turn the
                # guest away: the host prepares the meeting again instead.
                raise ApiError(410, "prepared_link_expired")
            link = await links.create_link(db, meeting.id, host.id, expires_at=until)
            url = join_url(base_url(request), settings.secret_key, link.id)
            if until is None:
                text = sms_body.compose(settings.company_name, url, settings.link_minutes)
            else:
                day = until.astimezone(sms_body.zone(settings.sms_countries))
                text = sms_body.compose_until(settings.company_name, url, day)
            message = SmsMessage(
                meeting_id=meeting.id,
                sender_id=host.id,
                to_number=to,
                body=text,
                link=url,
                segments=sms_body.segments(text),
                provider=sender.name,
                status="created",
                statuses=[SmsStatus(status="created")],
            )
            db.add(message)
            await db.flush()
            message_id = message.id
    except BaseException:
        await _give_back(request, taken)  # nothing was sent
        raise
    callback = base_url(request) + "/sms/status"
    failure: Exception | None = None
    try:
        sent = await sender.send(to=to, body=text, status_callback=callback)
        status, provider_id, error_code = sent.status, sent.provider_id, None
    except SmsRefused as exc:
        failure, status, provider_id, error_code = exc, "failed", None, exc.code
    except SmsUnavailable as exc:
        failure, status, provider_id, error_code = exc, "failed", None, "unavailable"
    except Exception as exc:  # SmsUncertain, or a bug after the request went out
        if not isinstance(exc, SmsUncertain):
            log.exception("sending an SMS failed unexpectedly")
        failure, status, provider_id, error_code = exc, "unknown", None, "uncertain"
    async with meetings.transaction(app) as db:
        message = await db.get(SmsMessage, message_id)
        assert message is not None
        message.provider_id = provider_id
        await apply_status(db, message, status, error_code)
        meeting = await db.get(Meeting, message.meeting_id, populate_existing=True)
        assert meeting is not None
        if isinstance(failure, SmsRefused | SmsUnavailable) and meeting_id is None:
            # Nobody can use a meeting whose only link never went out.
            meeting = await meetings.end_meeting(db, meeting.id, by="system")
    if isinstance(failure, SmsRefused):
        # The host may correct a typo and send again at once, and one
        # host's bad numbers do not use up everyone's hourly allowance;
        # the per-number and per-host counts stay (probing costs).
        await _give_back(request, [k for k in taken if k.startswith("sms:duplicate:")])
        await _give_back(request, [global_key])
        raise SmsRefusedError(failure.code)
    if isinstance(failure, SmsUnavailable):
        await _give_back(request, taken)  # nothing went out: nothing is owed
        raise ApiError(502, "sms_unavailable")
    if failure is not None:
        # It may well have been sent: every count stays (a slow Twilio must
        # not switch the limits off), and the meeting waits for the guest.
        raise ApiError(502, "sms_uncertain", details=[{"meeting_id": meeting.id}])
    return meeting, message


async def apply_status(
    db: AsyncSession, message: SmsMessage, status: str, error_code: str | None
) -> bool:
    """Record one status report; move the message on if it is further
    along, and tell the meeting. A repeated report changes nothing."""
    last = message.statuses[-1] if message.statuses else None
    if last is not None and last.status == status and last.error_code == error_code:
        return False
    message.statuses.append(SmsStatus(status=status, error_code=error_code))
    current = STATUS_RANK.get(message.status, 0)
    new = STATUS_RANK.get(status, current)
    if new > current or (new == current and current < FINAL_RANK):
        message.status = status
        message.error_code = error_code or message.error_code
    message.updated_at = utcnow()
    await db.flush()
    meeting = await db.get(Meeting, message.meeting_id)
    assert meeting is not None
    await meetings.record_event(db, meeting, "sms.status", status_event(message))
    return True


async def record_callback(request: Request, params: dict[str, str]) -> bool:
    """A verified Twilio status callback; ``False`` for an unknown message."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    error_code = (params.get("ErrorCode") or "").strip()[:16] or None
    if not sid or status not in STATUS_RANK:
        return False
    async with meetings.transaction(request.app) as db:
        # Locked: Twilio posts "sent" and "delivered" moments apart, and two
        # reports applied from the same stale read could move it backwards.
        message = await db.scalar(
            select(SmsMessage).where(SmsMessage.provider_id == sid).with_for_update()
        )
        if message is None:
            return False
        await apply_status(db, message, status, error_code)
    return True


async def list_messages(db: AsyncSession, meeting_id: int) -> list[SmsMessage]:
    query = select(SmsMessage).where(SmsMessage.meeting_id == meeting_id)
    return list(await db.scalars(query.order_by(SmsMessage.id)))


async def outbox(db: AsyncSession, user: User, limit: int = 100) -> list[SmsMessage]:
    """Messages kept in the development outbox that the user may see, newest first."""
    query = select(SmsMessage).where(SmsMessage.provider == "outbox")
    if not user.is_admin:
        query = query.where(SmsMessage.sender_id == user.id)
    return list(await db.scalars(query.order_by(SmsMessage.id.desc()).limit(limit)))

"""Meetings prepared ahead for a named customer (seed 000: お客様リスト →
Web会議リンク → コピー).

A host makes the meeting before the call: the customer's name (the guest
label), maybe a date and time, the meeting's options, and a link that lasts
until a day they choose (``JoinLink.expires_at``) rather than the half hour
of a link sent during a call. The meeting waits (``state="waiting"``,
``prepared``) and is listed on the dashboard as upcoming until a guest joins;
the presence reaper leaves it alone while its link works (presence.py). A
customer who opens the link early knocks in the waiting room.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import guest_labels, knocks
from server.meetings import lifecycle as meetings
from server.settings import Settings
from server.storage.models import JoinLink, Meeting, User, utcnow
from server.web.errors import ApiError
from sms import links


async def prepare(
    db: AsyncSession,
    host: User,
    settings: Settings,
    *,
    label: str,
    scheduled_at: datetime | None,
    valid_days: int,
    options: dict[str, bool | None],
) -> tuple[Meeting, JoinLink]:
    """A waiting meeting for the customer ``label`` and its long-lived link."""
    name = guest_labels.cleaned(label)
    if name is None:
        raise ApiError(422, "customer_name_required")
    if not 1 <= valid_days <= settings.prepared_link_max_days:
        raise ApiError(422, "invalid_valid_days", params={"max": settings.prepared_link_max_days})
    now = utcnow()
    if scheduled_at is not None and scheduled_at < now - timedelta(days=1):
        raise ApiError(422, "scheduled_in_past")
    chosen = {name: value for name, value in options.items() if value is not None}
    chosen.setdefault("waiting_room", knocks.waiting_room_default(settings, host))
    meeting = await meetings.create_waiting(
        db, host, prepared=True, scheduled_at=scheduled_at, guest_label=name, **chosen
    )
    link = await links.create_link(
        db, meeting.id, host.id, expires_at=now + timedelta(days=valid_days)
    )
    return meeting, link


async def prepared_link(db: AsyncSession, meeting_id: int) -> JoinLink | None:
    """The link made with a prepared meeting (its first long-lived one)."""
    return await db.scalar(
        select(JoinLink)
        .where(JoinLink.meeting_id == meeting_id, JoinLink.expires_at.is_not(None))
        .order_by(JoinLink.id)
        .limit(1)
    )


async def upcoming(db: AsyncSession, host: User) -> list[tuple[Meeting, JoinLink | None]]:
    """The host's prepared meetings that have not started, soonest first
    (those with no date after those with one, newest first)."""
    found = list(
        await db.scalars(
            select(Meeting).where(
                Meeting.host_id == host.id, Meeting.prepared, Meeting.state == "waiting"
            )
        )
    )
    far = datetime.max.replace(tzinfo=utcnow().tzinfo)
    found.sort(key=lambda m: (m.scheduled_at or far, -m.id))
    return [(meeting, await prepared_link(db, meeting.id)) for meeting in found]

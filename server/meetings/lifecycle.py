"""Meetings: a host and a guest connected by a number (or, later, a link).

Every change to a meeting is recorded as a ``MeetingEvent`` in the same
transaction, and published on the event bus only after that transaction
commits (:func:`transaction`), so a client that hears of an event can always
read it back, and a client that missed it finds it in the database.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from server.meetings import consents, numbers, recordings
from server.storage.models import (
    ConnectionNumber,
    Guest,
    Meeting,
    MeetingEvent,
    PresenceLease,
    Site,
    User,
    utcnow,
)
from server.web.errors import ApiError
from server.web.services import services

PENDING = "tsunagu.pending_events"
log = logging.getLogger("tsunagu.meetings")


def envelope(event: MeetingEvent) -> dict[str, Any]:
    """The one shape every live event has, on every channel."""
    return {
        "id": event.id,
        "type": event.type,
        "meeting_id": event.meeting_id,
        "time": event.created_at.isoformat(),
        "payload": event.payload,
    }


def channels(meeting: Meeting, guest_ids: list[int]) -> list[str]:
    return [
        f"meeting:{meeting.id}",
        f"host:{meeting.host_id}",
        *(f"guest:{guest_id}" for guest_id in guest_ids),
    ]


@contextlib.asynccontextmanager
async def transaction(app: Starlette) -> AsyncIterator[AsyncSession]:
    """A database transaction whose recorded events go out once it commits.

    On SQLite, which has one writer at a time, these write-heavy
    transactions queue on an in-process lock: a fair, sleep-free wait,
    where SQLite's own busy handler would make them sleep and retry.
    """
    async with services(app).write_lock, services(app).db() as db:
        async with db.begin():
            yield db
        pending = db.info.pop(PENDING, [])
    for channel_list, message in pending:
        for channel in channel_list:
            try:
                await services(app).event_bus.publish(channel, message)
            except Exception:  # e.g. Redis unreachable: the change itself is committed
                # The event is stored; live clients catch up from the
                # database when they reconnect, so the action still succeeded.
                log.exception("could not publish event %s on %s", message["id"], channel)


async def record_event(
    db: AsyncSession, meeting: Meeting, type_: str, payload: dict[str, Any] | None = None
) -> MeetingEvent:
    """Store an event of ``meeting``; it is published once the transaction
    commits (see :func:`transaction`).

    Clients resume from the highest event id they saw, so within a meeting
    ids must follow commit order: an event with a smaller id committed after
    a larger one was already read would be skipped for good. On PostgreSQL
    a sequence hands out ids in insert order, so the meeting's row is
    locked first (the same row lock the UPDATEs of ``activate`` and
    ``end_meeting`` take, FOR NO KEY UPDATE, which does not conflict with
    the key-share locks of rows inserted under the meeting): two writers of
    one meeting take their ids one after the other, each after the previous
    one committed. SQLite has one writer at a time, and a writer holds the
    database from its first write (this insert) to its commit, so its ids
    are in commit order already.
    """
    if db.bind.dialect.name == "postgresql":
        await db.execute(
            select(Meeting.id).where(Meeting.id == meeting.id).with_for_update(key_share=True)
        )
    event = MeetingEvent(meeting_id=meeting.id, type=type_, payload=payload or {})
    db.add(event)
    await db.flush()
    # A guest out of the meeting hears nothing more of it, but for the
    # event about them (their removal, which closes their socket).
    still_in = Guest.removed_at.is_(None)
    about = event.payload.get("guest_id")
    if isinstance(about, int):
        still_in = or_(still_in, Guest.id == about)
    guest_ids = list(
        await db.scalars(select(Guest.id).where(Guest.meeting_id == meeting.id, still_in))
    )
    db.info.setdefault(PENDING, []).append((channels(meeting, guest_ids), envelope(event)))
    return event


async def start_by_number(
    db: AsyncSession, host: User, number: str, policy: numbers.NumberPolicy
) -> Meeting:
    """The host typed the number the guest read out: the two are connected."""
    claimed = await numbers.claim_number(
        db, numbers.normalize_number(number, policy), user_id=host.id
    )
    meeting = Meeting(
        host_id=host.id, state="active", source="number", number=claimed.number, started_at=utcnow()
    )
    db.add(meeting)
    await db.flush()
    await _join(db, meeting, claimed, starts=True)
    if meeting.site_id is not None:
        # A number is the host's choice (no waiting room), but a site may
        # want one for guests who join its snippet's meetings later by link.
        site = await db.get(Site, meeting.site_id)
        meeting.waiting_room = bool(site is not None and site.waiting_room_default)
    await guest_joined(db, meeting, claimed.guest_id)
    await db.refresh(meeting, ["host"])
    await record_event(
        db, meeting, "meeting.started", {"number": claimed.number, "host": host.label}
    )
    return meeting


async def attach_by_number(
    db: AsyncSession, host: User, meeting: Meeting, number: str, policy: numbers.NumberPolicy
) -> Meeting:
    """Flow 2: a guest using the snippet joins a meeting that is already
    running (say, a phone meeting), by the number they read out."""
    # A meeting waiting for a link can also be joined by number: it starts.
    meeting, started = await activate(db, meeting.id)
    claimed = await numbers.claim_number(
        db, numbers.normalize_number(number, policy), user_id=host.id
    )
    await _join(db, meeting, claimed, starts=started)
    facts = await guest_joined(db, meeting, claimed.guest_id)
    if started:
        await record_event(
            db, meeting, "meeting.started", {"number": claimed.number, "host": host.label}
        )
    await record_event(
        db, meeting, "guest.attached", {"number": claimed.number, "host": host.label, **facts}
    )
    return meeting


async def create_waiting(db: AsyncSession, host: User, **options: Any) -> Meeting:
    """A meeting the guest will join by a link (SMS or QR): it waits for them.
    ``options``: its columns, such as ``waiting_room`` (see knocks.py for
    its default) or a prepared meeting's."""
    meeting = Meeting(host_id=host.id, state="waiting", source="link", **options)
    db.add(meeting)
    await db.flush()
    await db.refresh(meeting, ["host"])
    await record_event(db, meeting, "meeting.created", {"host": host.label})
    return meeting


async def activate(db: AsyncSession, meeting_id: int) -> tuple[Meeting, bool]:
    """Hold the meeting for a guest joining it: a waiting meeting starts now
    (``True``), an ended one refuses with ``409 meeting_ended``. The UPDATE
    keeps the row locked until commit (PostgreSQL), so a host ending the
    meeting at that moment is ordered before the join or after it, never in
    between with the guest let into an ended meeting."""
    started = await db.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id, Meeting.state == "waiting")
        .values(state="active", started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if started.rowcount == 0:
        held = await db.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id, Meeting.state == "active")
            .values(state=Meeting.state)
            .execution_options(synchronize_session=False)
        )
        if held.rowcount == 0:
            raise ApiError(409, "meeting_ended")
    meeting = await db.get(Meeting, meeting_id, populate_existing=True)
    assert meeting is not None
    return meeting, started.rowcount == 1


async def join_by_link(db: AsyncSession, meeting_id: int, guest: Guest) -> Meeting:
    """A guest tapped the meeting's join link: no number, straight in. The
    first guest to arrive starts the meeting."""
    meeting, started = await activate(db, meeting_id)
    guest.meeting_id = meeting.id
    guest.joined_at = utcnow()
    await db.flush()
    await consents.join_meeting(db, guest.id, meeting.id)
    facts = await guest_joined(db, meeting, guest.id)
    if started:
        await record_event(
            db, meeting, "meeting.started", {"via": "link", "host": meeting.host.label}
        )
    else:
        await record_event(db, meeting, "guest.joined", {"via": "link", **facts})
    return meeting


async def _join(
    db: AsyncSession, meeting: Meeting, claimed: ConnectionNumber, *, starts: bool
) -> None:
    """The number's guest joins ``meeting``. A meeting that ``starts`` with
    them takes their source: "snippet" when their number came from a site's
    snippet, else "number"; the first guest from a site gives the meeting
    its site (the history filters by it)."""
    claimed.meeting_id = meeting.id
    # A guest is in one meeting: if they were connected another way a moment
    # ago (a re-issued number claimed at the same time), this claim loses.
    joined = await db.execute(
        update(Guest)
        .where(Guest.id == claimed.guest_id, Guest.meeting_id.is_(None))
        .values(meeting_id=meeting.id, joined_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if joined.rowcount == 0:
        raise ApiError(409, "number_used", params={"number": claimed.number})
    site_id = await db.scalar(select(Guest.site_id).where(Guest.id == claimed.guest_id))
    if starts:
        meeting.source = "snippet" if site_id is not None else "number"
    if meeting.site_id is None and site_id is not None:
        meeting.site_id = site_id
    await db.flush()
    await consents.join_meeting(db, claimed.guest_id, meeting.id)


# -- the meeting's guests ------------------------------------------------------


async def meeting_guests(db: AsyncSession, meeting_id: int) -> list[Guest]:
    """Everyone who joined the meeting, in the order they joined (removed
    guests too: they stay part of its record). Read afresh, not from the
    session's identity map, since the conditional UPDATEs here bypass it."""
    query = (
        select(Guest)
        .where(Guest.meeting_id == meeting_id)
        .order_by(Guest.joined_at, Guest.id)
        .execution_options(populate_existing=True)
    )
    return list(await db.scalars(query))


def guest_facts(guest: Guest, n: int) -> dict[str, Any]:
    """Who an event is about: ``n`` is the guest's place in the meeting
    (お客様 1, お客様 2...), ``video`` whether they can be on video (came
    through the join page or a link, not the snippet)."""
    return {"guest_id": guest.id, "n": n, "source": guest.source, "video": guest.can_video}


async def facts_of(db: AsyncSession, meeting_id: int, guest_id: int) -> dict[str, Any]:
    for n, guest in enumerate(await meeting_guests(db, meeting_id), 1):
        if guest.id == guest_id:
            return guest_facts(guest, n)
    raise ApiError(404, "guest_not_found")


async def guest_joined(db: AsyncSession, meeting: Meeting, guest_id: int) -> dict[str, Any]:
    """A guest has just joined: the first who can do video is the one on
    the call with the host (until the host picks another). Returns their
    facts for the events."""
    facts = await facts_of(db, meeting.id, guest_id)
    if facts["video"] and await video_guest(db, meeting) is None:
        meeting.video_guest_id = guest_id
        await db.flush()
    return facts


async def video_guest(db: AsyncSession, meeting: Meeting) -> Guest | None:
    """The guest on the video call, if they are still in the meeting."""
    if meeting.video_guest_id is None:
        return None
    guest = await db.get(Guest, meeting.video_guest_id, populate_existing=True)
    if guest is None or guest.meeting_id != meeting.id or guest.removed_at is not None:
        return None
    return guest


async def pick_video_guest(
    db: AsyncSession, meeting: Meeting, guest_id: int | None, *, by: str
) -> None:
    """Put ``guest_id`` on the video call (``None``: the first guest still
    there who can do video, if any); the change is an event both pages
    follow (the host's call greets the new guest, the others stop)."""
    guests = await meeting_guests(db, meeting.id)
    if guest_id is None:
        able = [g for g in guests if g.can_video and g.removed_at is None]
        guest_id = able[0].id if able else None
    if guest_id == meeting.video_guest_id:
        return
    if meeting.video_guest_id is not None:
        from server.meetings import screen_share  # (screen_share builds on this module)

        # Off the video, the guest's call ends, and their screen with it.
        await screen_share.end_shares(db, meeting, "video", guest_id=meeting.video_guest_id)
    meeting.video_guest_id = guest_id
    await db.flush()
    if guest_id is not None:
        facts = await facts_of(db, meeting.id, guest_id)
        await record_event(db, meeting, "video.guest", {**facts, "by": by})


async def end_meeting(
    db: AsyncSession,
    meeting_id: int,
    *,
    by: str,
    only_if: ColumnElement[bool] | None = None,
) -> Meeting:
    """End a meeting (idempotent). ``by`` is "host", "guest", "system" or
    "timeout". ``only_if`` is re-checked in the same UPDATE (the reaper's
    "everyone is still gone"), so a meeting someone came back to is kept."""
    now = utcnow()
    condition = only_if if only_if is not None else true()
    ended = await db.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id, Meeting.state != "ended", condition)
        .values(state="ended", ended_at=now, ended_by=by, guest_connected=False)
        .execution_options(synchronize_session=False)
    )
    meeting = await db.get(Meeting, meeting_id, populate_existing=True)
    assert meeting is not None
    if ended.rowcount == 1:
        # Nobody is "connected" in an ended meeting: each guest who was
        # there leaves with it (their meeting.ended says so, once).
        await db.execute(
            update(Guest)
            .where(Guest.meeting_id == meeting_id, Guest.connected)
            .values(connected=False, left_at=now)
            .execution_options(synchronize_session=False)
        )
        from server.meetings import screen_share  # (screen_share builds on this module)

        # A share still running ends with the meeting, in the record too,
        # and so does a live view.
        await screen_share.end_shares(db, meeting, "meeting")
        from server.meetings import live_view  # (live_view builds on this module)

        await live_view.end_for(db, meeting, "ended")
        ended_event = await record_event(db, meeting, "meeting.ended", {"by": by})
        from server.meetings import knocks  # (knocks builds on this module)

        await knocks.tell_knockers(db, meeting, ended_event)  # those still waiting hear it too
        await recordings.meeting_ended(db, meeting)
    return meeting


def guest_present(meeting_id: int, now: datetime, guest_id: int) -> ColumnElement[bool]:
    """The guest has a lease in the meeting that has not lapsed (``PresenceLease``)."""
    return exists().where(
        PresenceLease.meeting_id == meeting_id,
        PresenceLease.role == "guest",
        PresenceLease.holder_id == guest_id,
        PresenceLease.expires_at > now,
    )


async def set_guest_presence(
    db: AsyncSession, meeting_id: int, *, now: datetime | None = None
) -> bool | None:
    """Make what the host is shown follow each guest's leases: a guest is
    "connected" while one of their leases is live (and they have not been
    removed), "disconnected" once none is; the meeting's ``guest_connected``
    is "any guest connected". Each guest's change is an event naming them.
    Returns the meeting's new ``guest_connected`` when it changed, else
    ``None``.

    Each UPDATE re-checks the leases and the shown state itself, so two
    instances doing this at once record one event, never two; and a guest
    socket opening (new lease) during a page change changes nothing."""
    now = now or utcnow()
    meeting = await db.get(Meeting, meeting_id)
    if meeting is None:
        return None
    live = exists().where(Meeting.id == meeting_id, Meeting.state != "ended")
    for n, guest in enumerate(await meeting_guests(db, meeting_id), 1):
        present = guest_present(meeting_id, now, guest.id)
        came = await db.execute(
            update(Guest)
            .where(
                Guest.id == guest.id, ~Guest.connected, Guest.removed_at.is_(None), present, live
            )
            .values(connected=True, left_at=None)
            .execution_options(synchronize_session=False)
        )
        if came.rowcount == 1:
            await record_event(db, meeting, "guest.connected", guest_facts(guest, n))
            continue
        went = await db.execute(
            update(Guest)
            .where(
                Guest.id == guest.id, Guest.connected, or_(~present, Guest.removed_at.is_not(None))
            )
            .values(connected=False, left_at=now)
            .execution_options(synchronize_session=False)
        )
        if went.rowcount == 1:
            await record_event(db, meeting, "guest.disconnected", guest_facts(guest, n))
            from server.meetings import screen_share  # (screen_share builds on this module)

            # Their page is gone (or cut off): so is the screen it shared,
            # and the live view of it.
            await screen_share.end_shares(db, meeting, "left", guest_id=guest.id)
            from server.meetings import live_view  # (live_view builds on this module)

            await live_view.end_for(db, meeting, "left", guest_id=guest.id)
    anyone = exists().where(Guest.meeting_id == meeting_id, Guest.connected)
    for connected, guests in ((True, anyone), (False, ~anyone)):
        changed = await db.execute(
            update(Meeting)
            .where(
                Meeting.id == meeting_id,
                Meeting.state != "ended",
                Meeting.guest_connected == (not connected),
                guests,
            )
            .values(guest_connected=connected)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount == 1:
            await db.refresh(meeting)
            return connected
    return None


def visible_to(user: User) -> ColumnElement[bool]:
    """Admins see every meeting; a host sees their own."""
    return true() if user.is_admin else Meeting.host_id == user.id


async def get_meeting(
    db: AsyncSession, user: User, meeting_id: int, *, lock: bool = False
) -> Meeting:
    """A meeting the user may see; anyone else's is simply not found.

    ``lock``: for a change that checks the meeting (and its guests) first.
    The row is locked as ``end_meeting``'s UPDATE and ``record_event`` lock
    it (FOR NO KEY UPDATE, on PostgreSQL), so a concurrent change of the
    meeting (ending it, removing a guest) is wholly before the checks or
    wholly after the commit."""
    query = select(Meeting).where(Meeting.id == meeting_id, visible_to(user))
    if lock:
        query = query.with_for_update(key_share=True, of=Meeting).execution_options(
            populate_existing=True
        )
    meeting = await db.scalar(query)
    if meeting is None:
        raise ApiError(404, "meeting_not_found")
    return meeting


async def list_meetings(
    db: AsyncSession, user: User, *, state: str | None = None, own: bool = False, limit: int = 50
) -> list[Meeting]:
    """Meetings the user may see, newest first; ``own`` limits an admin to
    their own too (the dashboard shows the calls *you* are on)."""
    query = select(Meeting).where(Meeting.host_id == user.id if own else visible_to(user))
    if state == "live":
        query = query.where(Meeting.state != "ended")
    elif state is not None:
        query = query.where(Meeting.state == state)
    return list(await db.scalars(query.order_by(Meeting.id.desc()).limit(limit)))


async def guests_gone_since(db: AsyncSession, meetings: list[Meeting]) -> dict[int, datetime]:
    """For each running meeting whose guests have all gone (every one of
    them disconnected or removed), when the last of them left: what the
    dashboard counts "gone for N minutes" from."""
    ids = [m.id for m in meetings if m.state != "ended" and not m.guest_connected]
    if not ids:
        return {}
    rows = await db.execute(
        select(Guest.meeting_id, func.max(Guest.left_at))
        .where(Guest.meeting_id.in_(ids), Guest.left_at.is_not(None))
        .group_by(Guest.meeting_id)
    )
    return {meeting_id: left for meeting_id, left in rows if left is not None}


async def events_after(db: AsyncSession, meeting_id: int, after: int = 0) -> list[MeetingEvent]:
    query = (
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.id > after)
        .order_by(MeetingEvent.id)
    )
    return list(await db.scalars(query))

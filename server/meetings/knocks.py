"""The waiting room: a guest knocks, the host admits or refuses them.

A meeting with ``waiting_room`` on does not take a guest who opens its link
straight in: the guest is made, their agreements are recorded, and they
*knock* (``Guest.admission = "waiting"``, ``knock_meeting_id`` the meeting).
A knocking guest is not in the meeting (``Guest.meeting_id`` stays empty),
so every route and socket that serves a meeting's guests (captures, video,
memo, events) refuses them by what it already checks; their socket carries
only what is about their own knock.

The host hears of a knock on the meeting's channel and the host-wide one
(``knock.waiting``), and answers: admit (the guest joins as a link guest
always did, ``guest.admitted``) or refuse with an optional canned note
(``guest.refused``); a refused guest may knock again after
``knock_again_seconds`` (``knock.waiting`` again). A guest who gives up is
``knock.left``. Every change is a conditional UPDATE on the admission
state, so two hosts' tabs answering at once answer once.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import consents, lifecycle, recordings
from server.settings import Settings
from server.storage.models import Consent, Guest, Meeting, MeetingEvent, Site, User, utcnow
from server.web.errors import ApiError

WAITING = "waiting"
ADMITTED = "admitted"
REFUSED = "refused"
LEFT = "left"
# The notes a host may send with a refusal (keys of knock.note.* in i18n):
# canned, so the guest's page shows a polite text in their own language.
NOTES = ("busy", "call_back", "another_day")
NAME_LENGTH = 60
# Agreements the link page offers beside the terms, by kind.
OFFERED = {
    "capture": consents.LINK_CAPTURE,
    "camera": consents.LINK_CAMERA,
    "recording": consents.LINK_RECORDING,
}


# An admin's choice of a host's default, as the console's form sends it.
DEFAULT_CHOICES: dict[str, bool | None] = {"server": None, "on": True, "off": False}


def waiting_room_default(settings: Settings, host: User, site: Site | None = None) -> bool:
    """Whether a new meeting starts with the waiting room on. A link meeting:
    the host's own default if an admin set one, else the server's. A meeting
    started by a number (the host typed it, so the guest is expected): off,
    unless the snippet's site says otherwise for guests who join it later."""
    if site is not None:
        return bool(site.waiting_room_default)
    if host.waiting_room_default is not None:
        return host.waiting_room_default
    return settings.waiting_room_links


def facts(guest: Guest) -> dict[str, Any]:
    """Who a knock event is about, as the host's toast and list show them."""
    return {
        "guest_id": guest.id,
        "name": guest.entered_name or "",
        "knocked_at": guest.knocked_at.isoformat() if guest.knocked_at else None,
    }


def tell_guest(db: AsyncSession, guest_id: int, event: MeetingEvent) -> None:
    """Send ``event`` (recorded in this transaction) to a guest who is not in
    the meeting (and so not among those ``record_event`` sends it to). The
    event is named, not taken as the last one queued: ending a meeting
    records more after it (the recording's stop) that must not take its place."""
    pending = db.info.get(lifecycle.PENDING, [])
    for i, (channel_list, message) in enumerate(pending):
        if message["id"] == event.id:
            pending[i] = ([*channel_list, f"guest:{guest_id}"], message)
            return


async def agree(
    db: AsyncSession, guest: Guest, meeting: Meeting, agreed: list[str]
) -> list[Consent]:
    """Record what the guest ticked on the link page (and the terms recorded
    before): each a consent of the meeting's record, knocked or not.
    Recording is offered (and so recorded) only when the host means to record."""
    stored = []
    for kind in dict.fromkeys(agreed):
        wording = OFFERED.get(kind)
        if wording is None or (kind == "recording" and not meeting.recording):
            continue
        stored.append(await consents.record(db, guest, wording))
    # Part of the meeting's record whether or not the guest is let in.
    await consents.join_meeting(db, guest.id, meeting.id)
    for consent in stored:
        await db.refresh(consent)
    return stored


async def knock(db: AsyncSession, meeting: Meeting, guest: Guest, name: str) -> None:
    """The guest knocks at ``meeting`` and waits; the host is told."""
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    guest.admission = WAITING
    guest.knock_meeting_id = meeting.id
    guest.knocked_at = utcnow()
    guest.answered_at = None
    guest.refusal_note = None
    guest.entered_name = name.strip()[:NAME_LENGTH] or None
    await db.flush()
    event = await lifecycle.record_event(db, meeting, "knock.waiting", facts(guest))
    tell_guest(db, guest.id, event)


async def knock_again(db: AsyncSession, guest: Guest, settings: Settings) -> None:
    """A refused guest knocks again, once ``knock_again_seconds`` have passed
    since the refusal (``429 knock_too_soon`` says how long is left)."""
    if guest.admission != REFUSED or guest.knock_meeting_id is None:
        raise ApiError(409, "not_refused")
    wait = timedelta(seconds=settings.knock_again_seconds)
    answered = guest.answered_at or guest.knocked_at or utcnow()
    left = (answered + wait - utcnow()).total_seconds()
    if left > 0:
        raise ApiError(429, "knock_too_soon", params={"seconds": math.ceil(left)})
    meeting = await db.get(Meeting, guest.knock_meeting_id)
    if meeting is None:
        raise ApiError(404, "meeting_not_found")
    # Conditional: a double tap knocks once.
    knocked = await db.execute(
        update(Guest)
        .where(Guest.id == guest.id, Guest.admission == REFUSED)
        .values(admission=WAITING)
        .execution_options(synchronize_session=False)
    )
    if knocked.rowcount == 0:
        raise ApiError(409, "not_refused")
    await knock(db, meeting, guest, guest.entered_name or "")


async def _knocker(db: AsyncSession, meeting: Meeting, guest_id: int) -> Guest:
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    guest = await db.get(Guest, guest_id, populate_existing=True)
    if guest is None or guest.knock_meeting_id != meeting.id:
        raise ApiError(404, "guest_not_found")
    if guest.admission != WAITING:
        raise ApiError(409, "knock_not_waiting")
    return guest


async def _answer(db: AsyncSession, guest: Guest, admission: str, note: str | None) -> None:
    """Move the knock on from "waiting", once however many tabs answer."""
    answered = await db.execute(
        update(Guest)
        .where(Guest.id == guest.id, Guest.admission == WAITING)
        .values(admission=admission, answered_at=utcnow(), refusal_note=note)
        .execution_options(synchronize_session=False)
    )
    if answered.rowcount == 0:
        raise ApiError(409, "knock_not_waiting")
    await db.refresh(guest)


async def admit(db: AsyncSession, meeting: Meeting, guest_id: int, by: str) -> Guest:
    """The host lets the guest in: they join as a link guest does (the first
    one starts the meeting), and their page hears ``guest.admitted``."""
    guest = await _knocker(db, meeting, guest_id)
    await _answer(db, guest, ADMITTED, None)
    await lifecycle.join_by_link(db, meeting.id, guest)
    await lifecycle.record_event(
        db, meeting, "guest.admitted", {**facts(guest), "meeting_id": meeting.id, "by": by}
    )
    await recordings.ask_newcomer(db, meeting, guest)
    return guest


async def refuse(db: AsyncSession, meeting: Meeting, guest_id: int, note: str, by: str) -> Guest:
    """The host turns the guest away for now, maybe with a canned note."""
    if note and note not in NOTES:
        raise ApiError(422, "invalid_refusal_note", params={"notes": ", ".join(NOTES)})
    guest = await _knocker(db, meeting, guest_id)
    await _answer(db, guest, REFUSED, note or None)
    event = await lifecycle.record_event(
        db, meeting, "guest.refused", {**facts(guest), "note": note or None, "by": by}
    )
    tell_guest(db, guest.id, event)
    return guest


async def give_up(db: AsyncSession, guest: Guest) -> None:
    """A waiting (or refused) guest leaves the waiting room."""
    meeting = await db.get(Meeting, guest.knock_meeting_id) if guest.knock_meeting_id else None
    was = guest.admission
    left = await db.execute(
        update(Guest)
        .where(Guest.id == guest.id, Guest.admission.in_((WAITING, REFUSED)))
        .values(admission=LEFT)
        .execution_options(synchronize_session=False)
    )
    await db.refresh(guest)
    if left.rowcount == 1 and was == WAITING and meeting is not None and meeting.state != "ended":
        await lifecycle.record_event(db, meeting, "knock.left", facts(guest))


async def abandon(
    db: AsyncSession, guest_id: int, meeting_id: int, *, only_if: ColumnElement[bool]
) -> None:
    """The guest's waiting-room page is gone (its socket's lease lapsed):
    the knock is given up as if they had left. ``only_if`` is re-checked in
    the UPDATE, so a page that came back, an answer, or another reaper
    first leaves it be."""
    left = await db.execute(
        update(Guest)
        .where(Guest.id == guest_id, Guest.admission == WAITING, only_if)
        .values(admission=LEFT)
        .execution_options(synchronize_session=False)
    )
    meeting = await db.get(Meeting, meeting_id)
    if left.rowcount == 1 and meeting is not None and meeting.state != "ended":
        guest = await db.get(Guest, guest_id, populate_existing=True)
        assert guest is not None
        await lifecycle.record_event(db, meeting, "knock.left", facts(guest))


async def tell_knockers(db: AsyncSession, meeting: Meeting, event: MeetingEvent) -> None:
    """The meeting recorded ``event``, which the guests still knocking at it
    must hear (it ended): send it to them too."""
    waiting = await db.scalars(
        select(Guest.id).where(Guest.knock_meeting_id == meeting.id, Guest.admission == WAITING)
    )
    for guest_id in waiting:
        tell_guest(db, guest_id, event)


async def waiting_guests(db: AsyncSession, meeting_ids: list[int]) -> list[Guest]:
    """Guests knocking at these meetings, longest waiting first."""
    if not meeting_ids:
        return []
    query = (
        select(Guest)
        .where(Guest.knock_meeting_id.in_(meeting_ids), Guest.admission == WAITING)
        .order_by(Guest.knocked_at, Guest.id)
        .execution_options(populate_existing=True)
    )
    return list(await db.scalars(query))


def knock_out(guest: Guest, meeting: Meeting) -> dict[str, Any]:
    """A knock as the console's toast and guest list show it."""
    return {
        "meeting_id": meeting.id,
        "guest_id": guest.id,
        "name": guest.entered_name or "",
        "knocked_at": guest.knocked_at,
        "guest_label": meeting.guest_label,
    }


async def host_knocks(db: AsyncSession, host: User) -> list[dict[str, Any]]:
    """Everyone knocking at the host's own running meetings (what the toasts
    on every console page show when it opens)."""
    rows = await db.execute(
        select(Guest, Meeting)
        .join(Meeting, Meeting.id == Guest.knock_meeting_id)
        .where(
            Meeting.host_id == host.id,
            Meeting.state != "ended",
            Guest.admission == WAITING,
        )
        .order_by(Guest.knocked_at, Guest.id)
    )
    return [knock_out(guest, meeting) for guest, meeting in rows]


def session_facts(guest: Guest, settings: Settings) -> dict[str, Any]:
    """What the guest's own page is told of their knock."""
    if guest.admission not in (WAITING, REFUSED):
        return {"knock": None}
    again_in = 0
    if guest.admission == REFUSED and guest.answered_at is not None:
        wait = timedelta(seconds=settings.knock_again_seconds)
        again_in = max(0, math.ceil((guest.answered_at + wait - utcnow()).total_seconds()))
    return {
        "knock": {
            "state": guest.admission,
            "name": guest.entered_name or "",
            "knocked_at": guest.knocked_at,
            "note": guest.refusal_note,
            "again_in": again_in,
        }
    }

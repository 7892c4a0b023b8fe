"""Guests: their bearer tokens, their numbers, joining by link, leaving.

A guest is identified by a signed token (not a cookie, so third-party
cookie blocking on the owner's site cannot break the snippet). The token
names the guest; everything else about them is read from the database.
The handlers in ``server/api/guest.py`` only read requests and write
responses; what happens to guests, numbers and meetings is here.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from server.accounts.auth import client_address
from server.meetings import consents, knocks, lifecycle, live_view, numbers, screen_share
from server.storage.models import ConnectionNumber, Guest, JoinLink, Meeting, Site, utcnow
from server.web.cors import check_guest_origin
from server.web.errors import ApiError
from server.web.services import services
from sms import links

TOKEN_SALT = "tsunagu.guest"  # noqa: S105 (a salt name)
# Long enough for the longest meeting; a new number gives a new token anyway.
TOKEN_MAX_AGE = 24 * 3600


# What require_guest refuses, for the API's description of guest routes.
GUEST_AUTH_ERRORS = (
    (401, "guest_token_required"),
    (401, "invalid_guest_token"),
    (401, "guest_token_expired"),
    (403, "guest_removed"),
    (403, "guest_left"),
)


def _signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT)


def guest_token(secret_key: str, guest: Guest) -> str:
    return _signer(secret_key).dumps({"g": guest.id})


def guest_id_from_token(secret_key: str, token: str) -> int:
    """The guest a token names, or ``401`` saying why it cannot be used."""
    try:
        data = _signer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        raise ApiError(401, "guest_token_expired") from None
    except BadSignature:
        raise ApiError(401, "invalid_guest_token") from None
    if not isinstance(data, dict) or not isinstance(data.get("g"), int):
        raise ApiError(401, "invalid_guest_token")
    return data["g"]


def bearer(connection: HTTPConnection) -> str:
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def require_guest(
    connection: HTTPConnection, db: AsyncSession, token: str = "", *, removed_too: bool = False
) -> Guest:
    """The guest behind the request's bearer token (or ``token``), calling
    from our own pages or from one of their site's origins. A guest the
    host removed is refused (``403 guest_removed``): a guest is in one
    meeting, so their token is done; only ``removed_too`` (the session,
    which tells them so) lets them through."""
    token = token or bearer(connection)
    if not token:
        raise ApiError(401, "guest_token_required")
    guest_id = guest_id_from_token(services(connection).settings.secret_key, token)
    guest = await db.get(Guest, guest_id)
    if guest is None:
        raise ApiError(401, "invalid_guest_token")
    await check_guest_origin(connection, db, guest)
    if not removed_too:
        refuse_if_out(guest)
    return guest


def refuse_if_out(guest: Guest) -> None:
    """A guest the host removed, or who left while others stayed, is out of
    their meeting for good: 403 ``guest_removed`` or ``guest_left``."""
    if guest.removed_at is not None:
        raise ApiError(403, "guest_left" if guest.removed_by == "guest" else "guest_removed")


async def current_guest(connection: HTTPConnection, db: AsyncSession) -> Guest | None:
    """The guest named by a bearer token, if one came and is still good: a
    guest asking again for a number (it expired) stays the same guest."""
    token = bearer(connection)
    if not token:
        return None
    try:
        guest_id = guest_id_from_token(services(connection).settings.secret_key, token)
    except ApiError:
        return None
    return await db.get(Guest, guest_id)


def new_guest(connection: HTTPConnection, site: Site | None = None) -> Guest:
    """A guest for the browser making ``connection`` (not yet added)."""
    return Guest(
        site_id=site.id if site else None,
        source="snippet" if site else "number",
        user_agent=connection.headers.get("user-agent", "")[:300],
        address=client_address(connection)[:64],
    )


async def issue_number(
    db: AsyncSession, connection: HTTPConnection, site: Site | None
) -> tuple[Guest, ConnectionNumber]:
    """A number for the browser making ``connection``: the guest its token
    names gets a fresh one (its old ones given back) unless it is already in
    a meeting; otherwise a new guest, of ``site``, is made."""
    guest = await current_guest(connection, db)
    if guest is None or guest.meeting_id is not None:
        guest = new_guest(connection, site)
        db.add(guest)
        await db.flush()
    else:
        await numbers.release_numbers(db, guest)
    # Asking for a number is the agreeing tap (the snippet's button, the
    # join page's checkbox and button): on record before the number exists.
    await consents.record(db, guest, consents.SNIPPET_CAPTURE if site else consents.JOIN_TERMS)
    policy = numbers.policy(services(connection).settings)
    return guest, await numbers.issue_number(db, guest, policy)


async def join_by_link(
    db: AsyncSession,
    connection: HTTPConnection,
    link_id: int,
    name: str = "",
    agreed: tuple[str, ...] = (),
) -> tuple[Guest, Meeting]:
    """A guest tapped an SMS link or scanned a QR code: into that meeting,
    no number; or, when its waiting room is on, knocking at it (see
    ``knocks.py``; ``guest.admission`` says which). The first browser to
    use a link makes it its own; the guest token of that browser (a second
    tap, a reload) keeps it the same guest, and any other browser is refused."""
    link = await db.get(JoinLink, link_id)
    if link is None:
        raise ApiError(404, "link_invalid")
    guest = await current_guest(connection, db)
    if guest is not None and guest.meeting_id == link.meeting_id:
        # Removed by the host, or left: out for good, as their token is.
        refuse_if_out(guest)
        await links.claim_link(db, link, guest.id)
        meeting, _ = await lifecycle.activate(db, link.meeting_id)
        return guest, meeting
    meeting = await db.get(Meeting, link.meeting_id)
    if meeting is None or meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    if guest is not None and guest.meeting_id is None and guest.knock_meeting_id == meeting.id:
        # Knocking already (a reload, or the link tapped again): still the
        # same knock; one who gave up waiting knocks anew.
        await links.claim_link(db, link, guest.id)
        if guest.admission == knocks.LEFT:
            await knocks.knock(db, meeting, guest, name or guest.entered_name or "")
        return guest, meeting
    guest = new_guest(connection)
    guest.source = "link"
    db.add(guest)
    await db.flush()
    await links.claim_link(db, link, guest.id)
    # The join page's checkbox was ticked for this tap (join.js).
    await consents.record(db, guest, consents.LINK_TERMS)
    await knocks.agree(db, guest, meeting, list(agreed))
    if meeting.waiting_room:
        await knocks.knock(db, meeting, guest, name)
        return guest, meeting
    guest.entered_name = name.strip()[: knocks.NAME_LENGTH] or None
    return guest, await lifecycle.join_by_link(db, link.meeting_id, guest)


async def leave(db: AsyncSession, guest: Guest) -> None:
    """The guest leaves: their meeting ends, or their number is given back.
    While another guest is still connected (the same customer's phone, say,
    when they close the snippet's bar), only this guest leaves. A guest in
    the waiting room leaves it."""
    if guest.meeting_id is None and guest.knock_meeting_id is not None:
        await knocks.give_up(db, guest)
        return
    if guest.meeting_id is None:
        await numbers.release_numbers(db, guest)
        return
    # Locked as get_meeting(lock=True) does: two guests leaving at once must
    # not each see the other still there, and leave the meeting with no one.
    meeting = await db.scalar(
        select(Meeting)
        .where(Meeting.id == guest.meeting_id)
        .with_for_update(key_share=True, of=Meeting)
        .execution_options(populate_existing=True)
    )
    others = select(Guest.id).where(
        Guest.meeting_id == guest.meeting_id,
        Guest.id != guest.id,
        Guest.removed_at.is_(None),
        Guest.connected,
    )
    if meeting is not None and meeting.state != "ended" and await db.scalar(others.limit(1)):
        await take_out(db, meeting, guest.id, by="guest")
    else:
        await lifecycle.end_meeting(db, guest.meeting_id, by="guest")


async def unmask_selectors(db: AsyncSession, guest: Guest) -> list[str]:
    """The fields whose typed values the snippet may show this guest's host:
    their site's list. Guests of the join page or a link have no site."""
    site = await db.get(Site, guest.site_id) if guest.site_id else None
    return list(site.unmask_selectors) if site is not None else []


async def guest_session(
    db: AsyncSession, guest: Guest, connection: HTTPConnection
) -> dict[str, Any]:
    """Where the guest is: ``waiting`` with a live number, ``connected`` to
    a meeting, that meeting ``ended``, or their number ``expired``."""
    latest = await db.scalar(
        select(ConnectionNumber)
        .where(ConnectionNumber.guest_id == guest.id)
        .order_by(ConnectionNumber.id.desc())
        .limit(1)
    )
    meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
    knocking = guest.admission in (knocks.WAITING, knocks.REFUSED) and meeting is None
    if knocking:
        meeting = await db.get(Meeting, guest.knock_meeting_id)
    now = utcnow()
    if guest.removed_at is not None:
        status = "left" if guest.removed_by == "guest" else "removed"
    elif meeting is not None and meeting.state == "ended":
        status = "ended"
    elif knocking and meeting is not None:
        status = guest.admission
    elif meeting is not None:
        status = "connected"
    elif latest is not None and latest.expires_at > now:
        status = "waiting"
    else:
        status = "expired"
    waiting = status == "waiting" and latest is not None
    return {
        "status": status,
        "number": latest.number if latest else None,
        "expires_at": latest.expires_at if waiting else None,
        "expires_in": int((latest.expires_at - now).total_seconds()) if waiting else None,
        "meeting_id": meeting.id if meeting else None,
        "host_name": meeting.host.label if meeting else None,
        "ended_by": meeting.ended_by if meeting else None,
        "unmask_selectors": await unmask_selectors(db, guest),
        "guest_id": guest.id,
        "video": status == "connected" and meeting is not None and on_video(meeting, guest),
        "live_view": guest.live_view if status == "connected" else None,
        **knocks.session_facts(guest, services(connection).settings),
    }


def on_video(meeting: Meeting, guest: Guest) -> bool:
    """Whether this guest is the one on the meeting's video call."""
    return meeting.video_guest_id == guest.id and guest.removed_at is None


# -- the host's view of the guests ----------------------------------------------


def guest_state(meeting: Meeting, guest: Guest) -> str:
    """What the host is shown: connected, disconnected (for now), removed,
    or ended (with the meeting)."""
    if guest.removed_at is not None:
        return "left" if guest.removed_by == "guest" else "removed"
    if meeting.state == "ended":
        return "ended"
    return "connected" if guest.connected else "disconnected"


async def guest_list(db: AsyncSession, meeting: Meeting) -> dict[str, Any]:
    """The meeting's guests as the console shows them, in joining order."""
    found = await lifecycle.meeting_guests(db, meeting.id)
    video = await lifecycle.video_guest(db, meeting)
    # Nobody waits at an ended meeting (whoever knocked was told it ended).
    knocking = await knocks.waiting_guests(db, [meeting.id] if meeting.state != "ended" else [])
    return {
        "meeting_id": meeting.id,
        "meeting_state": meeting.state,
        "video_guest_id": video.id if video is not None else None,
        "guests": [
            {
                "id": guest.id,
                "n": n,
                "source": guest.source,
                # What they typed when knocking, kept after they were let in.
                "name": guest.entered_name or "",
                "video": guest.can_video,
                "on_video": video is not None and video.id == guest.id,
                "state": guest_state(meeting, guest),
                "connected": guest.connected and meeting.state != "ended",
                "joined_at": guest.joined_at,
                "left_at": guest.left_at,
                "removed_at": guest.removed_at,
            }
            for n, guest in enumerate(found, 1)
        ],
        "waiting": [knocks.knock_out(guest, meeting) for guest in knocking],
    }


async def _meeting_guest(db: AsyncSession, meeting: Meeting, guest_id: int) -> Guest:
    """A guest of this meeting, which must still be running."""
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    guest = await db.get(Guest, guest_id, populate_existing=True)
    if guest is None or guest.meeting_id != meeting.id:
        raise ApiError(404, "guest_not_found")
    if guest.removed_at is not None:
        raise ApiError(409, "guest_already_removed")
    return guest


async def remove_guest(db: AsyncSession, meeting: Meeting, guest_id: int, by: str) -> None:
    """The host removes a guest: their socket is told and closed (see
    ``server/live/sockets.py``), their token stops working, and if they
    were on video the next guest who can do video takes their place."""
    await _meeting_guest(db, meeting, guest_id)
    await take_out(db, meeting, guest_id, by=by)


async def take_out(db: AsyncSession, meeting: Meeting, guest_id: int, *, by: str) -> None:
    """A guest is out of the meeting for good: removed by the host (``by``
    their name), or left on their own (``by="guest"``) while others stay."""
    now = utcnow()
    left = by == "guest"
    # Conditional, so two hosts removing at once record it once.
    removed = await db.execute(
        update(Guest)
        .where(Guest.id == guest_id, Guest.removed_at.is_(None))
        .values(
            removed_at=now,
            removed_by="guest" if left else "host",
            connected=False,
            left_at=func.coalesce(Guest.left_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount == 0:
        raise ApiError(409, "guest_already_removed")
    facts = await lifecycle.facts_of(db, meeting.id, guest_id)
    if left:
        await lifecycle.record_event(db, meeting, "guest.left", facts)
    else:
        await lifecycle.record_event(db, meeting, "guest.removed", {**facts, "by": by})
    # Their page leaves the call, and any screen it shared, and its live view.
    await screen_share.end_shares(db, meeting, "left", guest_id=guest_id)
    await live_view.end_for(db, meeting, "left", guest_id=guest_id)
    if meeting.video_guest_id == guest_id:
        await lifecycle.pick_video_guest(db, meeting, None, by="system")
    await lifecycle.set_guest_presence(db, meeting.id, now=now)


async def take_idle_video(app: Starlette, meeting_id: int, guest_id: int) -> None:
    """A guest's socket is open (they are connected): if the video is still
    with a guest who is no longer connected (or with nobody), it passes to
    this one, when they can do video. The customer whose browser died and
    who came back on a new link is a new guest; without this the video
    stayed tied to the dead one and the phone was told another customer had
    it. A connected video guest keeps it: only the host switches then."""
    async with lifecycle.transaction(app) as db:
        # Locked as the other video changes lock it, so two guests connecting
        # at once hand the video over once.
        meeting = await db.scalar(
            select(Meeting)
            .where(Meeting.id == meeting_id, Meeting.state != "ended")
            .with_for_update(key_share=True, of=Meeting)
            .execution_options(populate_existing=True)
        )
        if meeting is None:
            return
        guest = await db.get(Guest, guest_id, populate_existing=True)
        able = (
            guest is not None
            and guest.meeting_id == meeting.id
            and guest.can_video
            and guest.connected
            and guest.removed_at is None
        )
        current = await lifecycle.video_guest(db, meeting)
        if not able or (current is not None and (current.id == guest_id or current.connected)):
            return
        await lifecycle.pick_video_guest(db, meeting, guest_id, by="system")


async def choose_video_guest(db: AsyncSession, meeting: Meeting, guest_id: int) -> None:
    """The host puts another guest on the video call."""
    guest = await _meeting_guest(db, meeting, guest_id)
    if not guest.can_video:
        raise ApiError(422, "guest_cannot_video")
    await lifecycle.pick_video_guest(db, meeting, guest.id, by="host")

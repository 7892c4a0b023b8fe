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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from server.accounts.auth import client_address
from server.meetings import consents, lifecycle, numbers
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


async def require_guest(connection: HTTPConnection, db: AsyncSession, token: str = "") -> Guest:
    """The guest behind the request's bearer token (or ``token``), calling
    from our own pages or from one of their site's origins."""
    token = token or bearer(connection)
    if not token:
        raise ApiError(401, "guest_token_required")
    guest_id = guest_id_from_token(services(connection).settings.secret_key, token)
    guest = await db.get(Guest, guest_id)
    if guest is None:
        raise ApiError(401, "invalid_guest_token")
    await check_guest_origin(connection, db, guest)
    return guest


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
    db: AsyncSession, connection: HTTPConnection, link_id: int
) -> tuple[Guest, Meeting]:
    """A guest tapped an SMS link or scanned a QR code: straight into that
    meeting, no number. The first browser to use a link makes it its own;
    the guest token of that browser (a second tap, a reload) keeps it the
    same guest, and any other browser is refused."""
    link = await db.get(JoinLink, link_id)
    if link is None:
        raise ApiError(404, "link_invalid")
    guest = await current_guest(connection, db)
    if guest is not None and guest.meeting_id == link.meeting_id:
        await links.claim_link(db, link, guest.id)
        meeting, _ = await lifecycle.activate(db, link.meeting_id)
        return guest, meeting
    guest = new_guest(connection)
    db.add(guest)
    await db.flush()
    await links.claim_link(db, link, guest.id)
    # The join page's checkbox was ticked for this tap (join.js).
    await consents.record(db, guest, consents.LINK_TERMS)
    return guest, await lifecycle.join_by_link(db, link.meeting_id, guest)


async def leave(db: AsyncSession, guest: Guest) -> None:
    """The guest leaves: their meeting ends, or their number is given back."""
    if guest.meeting_id is not None:
        await lifecycle.end_meeting(db, guest.meeting_id, by="guest")
    else:
        await numbers.release_numbers(db, guest)


async def unmask_selectors(db: AsyncSession, guest: Guest) -> list[str]:
    """The fields whose typed values the snippet may show this guest's host:
    their site's list. Guests of the join page or a link have no site."""
    site = await db.get(Site, guest.site_id) if guest.site_id else None
    return list(site.unmask_selectors) if site is not None else []


async def guest_session(db: AsyncSession, guest: Guest) -> dict[str, Any]:
    """Where the guest is: ``waiting`` with a live number, ``connected`` to
    a meeting, that meeting ``ended``, or their number ``expired``."""
    latest = await db.scalar(
        select(ConnectionNumber)
        .where(ConnectionNumber.guest_id == guest.id)
        .order_by(ConnectionNumber.id.desc())
        .limit(1)
    )
    meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
    now = utcnow()
    if meeting is not None:
        status = "ended" if meeting.state == "ended" else "connected"
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
    }


async def started_from_snippet(db: AsyncSession, meeting: Meeting) -> bool:
    """Whether the meeting began as screen support: its first guest read out
    a number their site's snippet gave them (``Meeting.source``, set when it
    starts)."""
    return meeting.source == "snippet"

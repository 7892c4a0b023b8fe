"""``/api/v1/guest``: what a guest's browser calls (join page, later the snippet).

Guests authenticate with the bearer token they got with their number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from server.accounts import sites
from server.accounts.attempts import address_limit_key, begin_attempt
from server.accounts.auth import is_same_origin
from server.accounts.rate_limits import Limit
from server.meetings import guests, knocks
from server.meetings import lifecycle as meetings
from server.meetings.guests import GUEST_AUTH_ERRORS, guest_token, require_guest
from server.storage.models import (
    JoinLink,
    Site,
    utcnow,
)
from server.web.cors import site_allows
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.services import services
from sms.links import check_usable, signed_link_id


class NumberRequest(Payload):
    """Nothing from the join page; the snippet names its site."""

    site_key: str | None = Field(default=None, max_length=40)


UNMASK_DESCRIPTION = (
    "CSS selectors of the fields whose typed values the snippet may show (the guest's "
    "site's list; empty for guests of the join page or a link)"
)


class IssuedNumber(Output):
    number: str
    expires_at: datetime
    expires_in: int
    guest_token: str
    unmask_selectors: list[str] = Field(description=UNMASK_DESCRIPTION)


NOTE_KEYS = ", ".join(knocks.NOTES)


class KnockState(Output):
    state: Literal["waiting", "refused"] = Field(
        description="waiting (for the host to let you in) | refused (for now)"
    )
    name: str = Field(description="The name you gave when you knocked")
    knocked_at: datetime | None
    note: str | None = Field(description="The host's canned note with a refusal: " + NOTE_KEYS)
    again_in: int = Field(description="Seconds until you may knock again (after a refusal)")


class GuestSession(Output):
    status: Literal["waiting", "connected", "ended", "expired", "removed", "left", "refused"] = (
        Field(
            description="waiting (for the host: a number to read out, or a knock in the waiting "
            "room, see knock) | connected | ended | expired | removed (by the host) | left "
            "(they left while another guest stayed on) | refused (the host turned the knock "
            "away for now)"
        )
    )
    number: str | None
    expires_at: datetime | None
    expires_in: int | None
    meeting_id: int | None
    host_name: str | None
    ended_by: str | None
    unmask_selectors: list[str] = Field(description=UNMASK_DESCRIPTION)
    guest_id: int = Field(description='You, as events name guests ("guest_id")')
    video: bool = Field(description="You are the guest on the video call (one at a time)")
    knock: KnockState | None = Field(
        default=None, description="Your knock, while you wait in the waiting room or were refused"
    )
    live_view: Literal["asked", "on", "paused"] | None = Field(
        default=None,
        description="Your live view (issue #16): asked (the host asks; show the question), "
        "on (send the page), paused; none when off",
    )


class LinkJoin(Payload):
    token: str = Field(min_length=1, max_length=200, description="The token in /j/<token>")
    name: str = Field(
        default="", max_length=knocks.NAME_LENGTH, description="Your name, for the host (optional)"
    )
    agree: list[Literal["capture", "camera", "recording"]] = Field(
        default_factory=list,
        max_length=3,
        description="What you agreed to beside the terms: each is kept as a consent record "
        '("recording" only counts when the host means to record)',
    )


class KnockAgain(Payload):
    """Nothing: the knock is the one you made before."""


class JoinedByLink(Output):
    guest_token: str
    meeting_id: int
    host_name: str
    status: Literal["connected", "waiting", "refused"] = Field(
        description="connected, or waiting in the meeting's waiting room (knocking) until the "
        "host lets you in; refused when this browser's knock was turned away (knock again later)"
    )
    guest_id: int
    video: bool = Field(description="You are the guest on the video call (one at a time)")


async def issue_number(request: Request) -> JSONResponse:
    # Browsers send Origin with every cross-origin POST: a page elsewhere
    # gets numbers only as a registered site, from one of its origins, so
    # nobody else's page can make its visitors drain the pool.
    body = NumberRequest()
    if request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers:
        body = await read_json(request, NumberRequest)  # no body is needed; one given must be right
    async with services(request).db() as db:
        site = await site_for(request, db, body.site_key)
    # Numbers are a shared, small pool: one address may not drain it.
    limit = Limit(services(request).settings.number_issues_per_minute, 60)
    await begin_attempt(
        request, [(address_limit_key(request, "numbers"), limit)], code="too_many_numbers"
    )
    async with meetings.transaction(request.app) as db:
        guest, issued = await guests.issue_number(db, request, site)
        token = guest_token(services(request).settings.secret_key, guest)
        selectors = await guests.unmask_selectors(db, guest)
    body = {
        "number": issued.number,
        "expires_at": issued.expires_at,
        "expires_in": int((issued.expires_at - utcnow()).total_seconds()),
        "guest_token": token,
        "unmask_selectors": selectors,
    }
    return respond(IssuedNumber, body, status=201)


async def join_by_link(request: Request) -> JSONResponse:
    """A guest tapped an SMS link or scanned a QR code (see
    :func:`server.meetings.guests.join_by_link`)."""
    settings = services(request).settings
    if request.headers.get("origin") is not None and not is_same_origin(request):
        raise ApiError(403, "origin_not_allowed")
    body = await read_json(request, LinkJoin)
    link_id = signed_link_id(settings.secret_key, body.token)
    async with services(request).db() as db:
        link = await db.get(JoinLink, link_id)
    check_usable(link, settings.secret_key, body.token, minutes=settings.link_minutes)
    # Each join makes a guest: one address may not make them without end.
    limit = Limit(settings.number_issues_per_minute, 60)
    await begin_attempt(
        request, [(address_limit_key(request, "links"), limit)], code="too_many_joins"
    )
    async with meetings.transaction(request.app) as db:
        guest, meeting = await guests.join_by_link(
            db, request, link_id, body.name, tuple(body.agree)
        )
        token = guest_token(settings.secret_key, guest)
    knocking = guest.meeting_id is None
    body_out = {
        "guest_token": token,
        "meeting_id": meeting.id,
        "host_name": meeting.host.label,
        "status": guest.admission if knocking else "connected",
        "guest_id": guest.id,
        "video": guests.on_video(meeting, guest),
    }
    return respond(JoinedByLink, body_out, status=201)


async def site_for(request: Request, db: AsyncSession, site_key: str | None) -> Site | None:
    """The site a number is asked for from, checked against the Origin."""
    origin = request.headers.get("origin")
    site = await sites.find_by_key(db, site_key) if site_key else None
    if site_key and site is None:
        raise ApiError(404, "site_unknown")
    if site is not None and not site.is_active:
        raise ApiError(403, "site_disabled")
    if origin is None or is_same_origin(request):
        return site
    if site is None or not await site_allows(db, site, origin):
        raise ApiError(403, "origin_not_allowed")
    return site


async def get_session(request: Request) -> JSONResponse:
    async with services(request).db.begin() as db:
        # A removed guest is told so here (their page says it politely).
        guest = await require_guest(request, db, removed_too=True)
        return respond(GuestSession, await guests.guest_session(db, guest, request))


async def leave(request: Request) -> JSONResponse:
    async with meetings.transaction(request.app) as db:
        guest = await require_guest(request, db)
        await guests.leave(db, guest)
        session = await guests.guest_session(db, guest, request)
    return respond(GuestSession, session)


async def knock_again(request: Request) -> JSONResponse:
    """A guest the host turned away knocks again (after a minute)."""
    await read_json(request, KnockAgain)
    async with meetings.transaction(request.app) as db:
        guest = await require_guest(request, db)
        await knocks.knock_again(db, guest, services(request).settings)
        session = await guests.guest_session(db, guest, request)
    return respond(GuestSession, session)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "POST",
            "/api/v1/guest/numbers",
            issue_number,
            summary="Issue a connection number to a guest (send the old guest token to keep "
            "being the same guest)",
            auth="none",
            body=NumberRequest,
            response=IssuedNumber,
            status=201,
            errors=(
                (403, "origin_not_allowed"),
                (403, "site_disabled"),
                (404, "site_unknown"),
                (429, "too_many_numbers"),
                (503, "numbers_exhausted"),
            ),
            tag="guest",
        ),
        operation(
            "POST",
            "/api/v1/guest/links",
            join_by_link,
            summary="Join the meeting a signed link (/j/<token>, from an SMS or QR code) was "
            "made for, with no number",
            auth="none",
            body=LinkJoin,
            response=JoinedByLink,
            status=201,
            errors=(
                (403, "origin_not_allowed"),
                (404, "link_invalid"),
                (409, "link_used"),
                (409, "meeting_ended"),
                (410, "link_expired"),
                (429, "too_many_joins"),
            ),
            tag="guest",
        ),
        operation(
            "POST",
            "/api/v1/guest/knock",
            knock_again,
            summary="Knock again at the meeting whose host turned you away, once "
            "TSUNAGU_KNOCK_AGAIN_SECONDS (a minute) have passed",
            auth="guest",
            body=KnockAgain,
            response=GuestSession,
            errors=(
                *GUEST_AUTH_ERRORS,
                (404, "meeting_not_found"),
                (409, "not_refused"),
                (409, "meeting_ended"),
                (429, "knock_too_soon"),
            ),
            tag="guest",
        ),
        operation(
            "GET",
            "/api/v1/guest/session",
            get_session,
            summary="The guest's state: waiting for the host, connected, ended or expired",
            auth="guest",
            response=GuestSession,
            errors=GUEST_AUTH_ERRORS,
            tag="guest",
        ),
        operation(
            "POST",
            "/api/v1/guest/leave",
            leave,
            summary="The guest leaves: ends the meeting, or gives the number back",
            auth="guest",
            response=GuestSession,
            errors=GUEST_AUTH_ERRORS,
            tag="guest",
        ),
    ]

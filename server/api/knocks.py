"""The waiting room from the host's side, and meetings prepared ahead.

- ``GET /api/v1/knocks``: everyone knocking at your meetings (the toasts on
  every console page start from it, then follow ``/api/v1/live``);
- ``POST /api/v1/meetings/{id}/knocks/{guest_id}/admit`` and ``.../refuse``;
- ``POST /api/v1/meetings/prepared`` and ``GET`` of the upcoming ones.

The work is in ``server/meetings/knocks.py`` and ``prepared.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from server.api.meetings import NOT_FOUND, GuestList, KnockOut, MeetingOut, meetings_out
from server.meetings import guests, knocks, prepared
from server.meetings import lifecycle as meetings
from server.storage.models import GUEST_LABEL_LENGTH, JoinLink, Meeting
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.public_url import base_url
from server.web.services import services
from sms.links import join_url


class KnockList(Output):
    knocks: list[KnockOut]


class Refusal(Payload):
    note: Literal["", "busy", "call_back", "another_day"] = Field(
        default="",
        description='A canned note for the guest: "busy" (in another meeting), "call_back" '
        '(we will call you), "another_day"; "" for none',
    )


class Admission(Payload):
    """Nothing to say: the host lets the guest in."""


class PreparedIn(Payload):
    guest_label: str = Field(
        min_length=1, max_length=GUEST_LABEL_LENGTH, description='The customer, e.g. "山田様"'
    )
    scheduled_at: str | None = Field(
        default=None,
        max_length=40,
        description="When the call is planned, if known: ISO 8601 with its UTC offset, e.g. "
        '"2026-12-03T14:00:00+09:00"',
    )
    valid_days: int = Field(
        default=7, ge=1, le=365, description="Days the link stays valid (up to the server's max)"
    )
    waiting_room: bool | None = Field(
        default=None, description="Guests knock first; leave out for your default"
    )
    recording: bool = False
    it_mode: bool = False
    browser_audio: bool = False


class PreparedLinkOut(Output):
    url: str
    expires_at: datetime
    qr_svg_url: str


class PreparedOut(Output):
    meeting: MeetingOut
    scheduled_at: datetime | None
    link: PreparedLinkOut | None = Field(description="None once its link is gone")


class PreparedList(Output):
    meetings: list[PreparedOut]


def link_out(request: Request, meeting: Meeting, link: JoinLink | None) -> dict | None:
    if link is None or link.expires_at is None:
        return None
    url = join_url(base_url(request), services(request).settings.secret_key, link.id)
    token = url.rsplit("/", 1)[1]
    return {
        "url": url,
        "expires_at": link.expires_at,
        "qr_svg_url": f"/api/v1/meetings/{meeting.id}/link/qr.svg?token={token}",
    }


def planned(value: str | None) -> datetime | None:
    """A date and time with its offset (a naive one would be read in the
    server's zone, not the host's)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid_scheduled_at") from None
    if when.tzinfo is None:
        raise ApiError(422, "invalid_scheduled_at")
    return when


async def meeting_for_answer(call: Call) -> Meeting:
    """The meeting a knock is answered in: the host's own (an admin looking
    on at another host's meeting does not let people into it)."""
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    if meeting.host_id != call.user.id:
        raise ApiError(403, "not_meeting_host")
    return meeting


@endpoint()
async def list_knocks(call: Call) -> JSONResponse:
    return respond(KnockList, {"knocks": await knocks.host_knocks(call.db, call.user)})


@endpoint(transaction="meeting")
async def admit(call: Call) -> JSONResponse:
    await read_json(call.request, Admission)
    meeting = await meeting_for_answer(call)
    await knocks.admit(call.db, meeting, call.request.path_params["guest_id"], call.user.label)
    meeting = await meetings.get_meeting(call.db, call.user, meeting.id)
    return respond(GuestList, await guests.guest_list(call.db, meeting))


@endpoint(transaction="meeting")
async def refuse(call: Call) -> JSONResponse:
    body = await read_json(call.request, Refusal)
    meeting = await meeting_for_answer(call)
    guest_id = call.request.path_params["guest_id"]
    await knocks.refuse(call.db, meeting, guest_id, body.note, call.user.label)
    return respond(GuestList, await guests.guest_list(call.db, meeting))


@endpoint(transaction="meeting")
async def create_prepared(call: Call) -> JSONResponse:
    body = await read_json(call.request, PreparedIn)
    meeting, link = await prepared.prepare(
        call.db,
        call.user,
        call.services.settings,
        label=body.guest_label,
        scheduled_at=planned(body.scheduled_at),
        valid_days=body.valid_days,
        options={
            "waiting_room": body.waiting_room,
            "recording": body.recording,
            "it_mode": body.it_mode,
            "browser_audio": body.browser_audio,
        },
    )
    out = {
        "meeting": (await meetings_out(call.db, [meeting]))[0],
        "scheduled_at": meeting.scheduled_at,
        "link": link_out(call.request, meeting, link),
    }
    return respond(PreparedOut, out, status=201)


@endpoint()
async def list_prepared(call: Call) -> JSONResponse:
    found = await prepared.upcoming(call.db, call.user)
    out = await meetings_out(call.db, [meeting for meeting, _ in found])
    return respond(
        PreparedList,
        {
            "meetings": [
                {
                    "meeting": shown,
                    "scheduled_at": meeting.scheduled_at,
                    "link": link_out(call.request, meeting, link),
                }
                for shown, (meeting, link) in zip(out, found, strict=True)
            ]
        },
    )


ANSWER_ERRORS = (
    *NOT_FOUND,
    (403, "not_meeting_host"),
    (404, "guest_not_found"),
    (409, "knock_not_waiting"),
    (409, "meeting_ended"),
)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "GET",
            "/api/v1/knocks",
            list_knocks,
            summary="Guests knocking in the waiting rooms of your running meetings, longest "
            "waiting first (then follow knock.waiting, guest.admitted, guest.refused and "
            "knock.left on /api/v1/live)",
            response=KnockList,
            tag="waiting room",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/knocks/{guest_id:id}/admit",
            admit,
            summary="Let a knocking guest into your meeting (the first one starts it); the "
            "guest list after it",
            body=Admission,
            response=GuestList,
            errors=ANSWER_ERRORS,
            tag="waiting room",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/knocks/{guest_id:id}/refuse",
            refuse,
            summary="Turn a knocking guest away for now, with an optional canned note; they "
            "may knock again after TSUNAGU_KNOCK_AGAIN_SECONDS",
            body=Refusal,
            response=GuestList,
            errors=(*ANSWER_ERRORS, (422, "invalid_request")),
            tag="waiting room",
        ),
        operation(
            "POST",
            "/api/v1/meetings/prepared",
            create_prepared,
            summary="Prepare a meeting ahead for a named customer: its options, a date if "
            "known, and a link valid for valid_days (one device, as every join link)",
            body=PreparedIn,
            response=PreparedOut,
            status=201,
            errors=(
                (422, "customer_name_required"),
                (422, "invalid_valid_days"),
                (422, "scheduled_in_past"),
                (422, "invalid_scheduled_at"),
                (422, "invalid_request"),
            ),
            tag="meetings",
        ),
        operation(
            "GET",
            "/api/v1/meetings/prepared",
            list_prepared,
            summary="Your prepared meetings that have not started yet, soonest first",
            response=PreparedList,
            tag="meetings",
        ),
    ]

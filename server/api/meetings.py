"""``/api/v1/meetings``: hosts claim numbers, watch and end their meetings."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from server.accounts.attempts import Attempt, address_limit_key, begin_attempt
from server.accounts.rate_limits import Limit
from server.meetings import lifecycle as meetings
from server.meetings import numbers, retention
from server.storage.models import Meeting
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.services import services

STATES = ("live", "waiting", "active", "ended")


class HostOut(Output):
    id: int
    username: str
    label: str


class MeetingOut(Output):
    id: int
    state: str
    source: str
    number: str | None
    host: HostOut
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    guest_connected: bool


class MeetingList(Output):
    meetings: list[MeetingOut]


class EventOut(Output):
    id: int
    type: str
    meeting_id: int
    time: datetime
    payload: dict


class EventList(Output):
    events: list[EventOut]


class DataDeleted(Output):
    meeting_id: int
    captures: int = Field(description="Captures deleted (0 when there were none)")
    memos: int = Field(description="Shared memos deleted: 1, or 0 when there was none")


class Claim(Payload):
    number: str = Field(max_length=20, description='What the guest read out, e.g. "0427"')


async def claim_attempt(request: Request, principal) -> Attempt:
    settings = services(request).settings
    # Per host, and (higher) per address: hosts in one office share one
    # address, and one host's typos must not lock out the others.
    return await begin_attempt(
        request,
        [
            (address_limit_key(request, "claims"), Limit(settings.claim_attempts_per_address, 60)),
            (f"claims:host:{principal.user.id}", Limit(settings.claim_attempts_per_minute, 60)),
        ],
        code="too_many_attempts",
    )


@endpoint(transaction="none")
async def attach_guest(call: Call) -> JSONResponse:
    request = call.request
    body = await read_json(request, Claim)
    attempt = await claim_attempt(request, call.principal)
    async with meetings.transaction(request.app) as db:
        meeting = await meetings.get_meeting(db, call.user, request.path_params["meeting_id"])
        meeting = await meetings.attach_by_number(
            db, call.user, meeting, body.number, numbers.policy(call.services.settings)
        )
    await attempt.succeeded(request)
    return respond(MeetingOut, meeting)


@endpoint(transaction="none")
async def start_meeting(call: Call) -> JSONResponse:
    request = call.request
    body = await read_json(request, Claim)
    attempt = await claim_attempt(request, call.principal)
    async with meetings.transaction(request.app) as db:
        meeting = await meetings.start_by_number(
            db, call.user, body.number, numbers.policy(call.services.settings)
        )
    await attempt.succeeded(request)
    return respond(MeetingOut, meeting, status=201)


@endpoint()
async def list_meetings(call: Call) -> JSONResponse:
    state = call.request.query_params.get("state")
    if state is not None and state not in STATES:
        raise ApiError(422, "invalid_state", params={"states": ", ".join(STATES)})
    own = call.request.query_params.get("host") == "me"
    found = await meetings.list_meetings(call.db, call.user, state=state, own=own)
    return respond(MeetingList, {"meetings": found})


@endpoint()
async def get_meeting(call: Call) -> JSONResponse:
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    return respond(MeetingOut, meeting)


@endpoint()
async def list_events(call: Call) -> JSONResponse:
    after = call.request.query_params.get("after", "0")
    # Event ids are 64-bit; a larger cursor is a mistake, not "nothing yet".
    if not (after.isascii() and after.isdigit() and len(after) <= 19 and int(after) < 2**63):
        raise ApiError(422, "invalid_after")
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    events = await meetings.events_after(call.db, meeting.id, int(after))
    return respond(EventList, {"events": [meetings.envelope(e) for e in events]})


@endpoint(transaction="meeting")
async def end_meeting(call: Call) -> JSONResponse:
    meeting: Meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"]
    )
    meeting = await meetings.end_meeting(call.db, meeting.id, by="host")
    return respond(MeetingOut, meeting)


@endpoint(transaction="meeting")
async def request_capture(call: Call) -> Response:
    """The host asks the guest to send a capture; the guest still taps."""
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    await meetings.record_event(call.db, meeting, "capture.requested", {"host": call.user.label})
    return Response(status_code=204)


@endpoint(who="admin", transaction="none")
async def delete_data(call: Call) -> JSONResponse:
    """Admins only: a meeting's captures and shared memo (later files and
    recordings), rows and blobs. The meeting and its timeline stay, with an event saying who
    deleted the data."""
    async with call.services.db.begin() as db:
        meeting = await meetings.get_meeting(db, call.user, call.request.path_params["meeting_id"])
    # Not inside a transaction: deleting opens its own (and the blob store's).
    deleted = await retention.delete_by_admin(call.request.app, meeting.id, call.user)
    return respond(DataDeleted, {"meeting_id": meeting.id, **deleted.counts})


NOT_FOUND = ((404, "meeting_not_found"),)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "POST",
            "/api/v1/meetings",
            start_meeting,
            summary="Start a meeting with the guest whose connection number the host typed",
            body=Claim,
            response=MeetingOut,
            status=201,
            errors=(
                (404, "number_unknown"),
                (409, "number_used"),
                (410, "number_expired"),
                (422, "invalid_number"),
                (429, "too_many_attempts"),
            ),
            tag="meetings",
        ),
        operation(
            "GET",
            "/api/v1/meetings",
            list_meetings,
            summary="Meetings you may see, newest first (?state=live|waiting|active|ended; "
            "?host=me for only your own)",
            response=MeetingList,
            errors=((422, "invalid_state"),),
            tag="meetings",
        ),
        operation(
            "GET",
            "/api/v1/meetings/{meeting_id:id}",
            get_meeting,
            summary="One meeting",
            response=MeetingOut,
            errors=NOT_FOUND,
            tag="meetings",
        ),
        operation(
            "GET",
            "/api/v1/meetings/{meeting_id:id}/events",
            list_events,
            summary="The meeting's events after ?after=<event id>, oldest first (to catch up)",
            response=EventList,
            errors=(*NOT_FOUND, (422, "invalid_after")),
            tag="meetings",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/guests",
            attach_guest,
            summary="Attach another guest (e.g. one using the snippet) to this running meeting "
            "by the number they read out",
            body=Claim,
            response=MeetingOut,
            errors=(
                *NOT_FOUND,
                (404, "number_unknown"),
                (409, "number_used"),
                (409, "meeting_ended"),
                (410, "number_expired"),
                (422, "invalid_number"),
                (429, "too_many_attempts"),
            ),
            tag="meetings",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/capture-request",
            request_capture,
            summary="Ask the guest to send a capture of their page (they still tap to send)",
            status=204,
            errors=(*NOT_FOUND, (409, "meeting_ended")),
            tag="captures",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/end",
            end_meeting,
            summary="End the meeting (idempotent)",
            response=MeetingOut,
            errors=NOT_FOUND,
            tag="meetings",
        ),
        operation(
            "DELETE",
            "/api/v1/meetings/{meeting_id:id}/data",
            delete_data,
            summary="Delete the meeting's stored data (captures: rows and images); the meeting "
            "and its timeline stay, with a data.deleted event. Admins only",
            auth="admin",
            response=DataDeleted,
            errors=NOT_FOUND,
            tag="meetings",
        ),
    ]

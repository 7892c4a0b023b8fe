"""``/api/v1/meetings``: hosts claim numbers, watch and end their meetings."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from server.accounts.attempts import Attempt, address_limit_key, begin_attempt
from server.accounts.rate_limits import Limit
from server.meetings import guest_labels, guests, history, numbers, retention, search
from server.meetings import lifecycle as meetings
from server.storage.models import GUEST_LABEL_LENGTH, Meeting
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.record_ids import MAX_ID
from server.web.services import services

STATES = ("live", "waiting", "active", "ended")
MAX_LIMIT = 100


class HostOut(Output):
    id: int
    username: str
    label: str


class MeetingOptionsOut(Output):
    waiting_room: bool = Field(description="Guests knock and wait until the host lets them in")
    recording: bool = Field(description="The host means to record; guests agree as they join")
    it_mode: bool = Field(description="IT重説 mode: licence shown, checklist, browser audio")
    browser_audio: bool = Field(description="Voice in the browser instead of on the phone")


class MeetingOptionsChange(Payload):
    """Only the options given change; the others stay as they are."""

    waiting_room: bool | None = None
    recording: bool | None = None
    it_mode: bool | None = None
    browser_audio: bool | None = None


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
    guest_label: str | None = Field(description="The host's name for the guest, e.g. 「山田様」")
    site_id: int | None = Field(description="The site whose snippet brought a guest in")
    guests_gone_since: datetime | None = Field(
        default=None,
        description="A running meeting whose guests have all gone: when the last one left",
    )
    options: MeetingOptionsOut
    prepared: bool = Field(
        default=False, description="Prepared ahead for a named customer (upcoming until it starts)"
    )
    scheduled_at: datetime | None = Field(
        default=None, description="When a prepared call is planned"
    )


class MeetingList(Output):
    meetings: list[MeetingOut]
    total: int = Field(description="How many meetings pass the filters, on every page")
    older: int | None = Field(description="More, older meetings: ask again with before=this")
    newer: int | None = Field(description="More, newer meetings: ask again with after=this")


async def meetings_out(db: AsyncSession, found: list[Meeting]) -> list[MeetingOut]:
    gone = await meetings.guests_gone_since(db, found)
    return [
        MeetingOut.model_validate(m).model_copy(update={"guests_gone_since": gone.get(m.id)})
        for m in found
    ]


class GuestOut(Output):
    id: int
    n: int = Field(description="The guest's place in the meeting: 1 for the first to join, ...")
    source: str = Field(description='How they came in: "number", "snippet" or "link"')
    name: str = Field(description="The name the guest typed when knocking (may be empty)")
    video: bool = Field(description="Can be on video (came by the join page or a link)")
    on_video: bool = Field(description="Is the guest on the video call with the host")
    state: str = Field(description="connected | disconnected | removed | ended")
    connected: bool
    joined_at: datetime | None
    left_at: datetime | None = Field(description="When they were last seen, while not connected")
    removed_at: datetime | None


class KnockOut(Output):
    meeting_id: int
    guest_id: int
    name: str = Field(description="The name the guest gave (may be empty)")
    knocked_at: datetime | None = Field(description="Since when they wait")
    guest_label: str | None = Field(description="The host's name for the meeting's customer")


class GuestList(Output):
    meeting_id: int
    meeting_state: str
    video_guest_id: int | None
    guests: list[GuestOut]
    waiting: list[KnockOut] = Field(
        default_factory=list,
        description="Guests knocking in the waiting room, longest waiting first",
    )


class VideoGuestChoice(Payload):
    # Bounded as ids are: a larger number than an INTEGER makes the query fail.
    guest_id: int = Field(ge=1, le=MAX_ID, description="The guest to put on the video call")


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
    recordings: int = Field(default=0, description="Recordings deleted (files and chunks)")
    files: int = Field(default=0, description="Files sent in the meeting deleted (issue #15)")
    names: int = Field(
        default=0, description="Guests whose name typed on the link page was removed"
    )


class MeetingChange(Payload):
    guest_label: str = Field(
        max_length=GUEST_LABEL_LENGTH,
        description='The host\'s name for the guest, e.g. "山田様"; "" removes it',
    )


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


def meeting_filters(call: Call) -> tuple[history.Filters, int | None, int | None, int]:
    """The history's filters, cursors and page size from the query string.
    Unlike the history page's form, a value out of range is a 422: a
    program that sends a typo should hear of it, not get everything."""
    params = history.Params(call.request.query_params, strict=True)
    state = params.choice("state", STATES)
    source = params.choice("source", history.SOURCES)
    query = params.text("q")
    if len(query) > search.MAX_QUERY_LENGTH:
        raise ApiError(422, "query_too_long", params={"max": search.MAX_QUERY_LENGTH})
    utc_offset = params.utc_offset()
    limit = params.text("limit", str(history.PAGE_SIZE))
    if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
        raise ApiError(422, "invalid_limit", params={"max": MAX_LIMIT})
    # host=me: your own (an admin sees everyone's otherwise); host=<id>:
    # that user's, within what you may see (a host sees only their own).
    host_id = call.user.id if params.text("host") == "me" else params.id("host")
    filters = history.Filters(
        query=search.normalized(query),
        date_from=params.date("from"),
        date_to=params.date("to"),
        host_id=host_id,
        site_id=params.id("site"),
        source=source,
        state=None if state == "live" else state,
        live=state == "live",
        utc_offset=utc_offset,
    )
    return filters, params.id("before"), params.id("after"), int(limit)


@endpoint()
async def list_meetings(call: Call) -> JSONResponse:
    filters, before, after, limit = meeting_filters(call)
    page = await history.find(call.db, call.user, filters, before=before, after=after, size=limit)
    return respond(
        MeetingList,
        {
            "meetings": await meetings_out(call.db, [row.meeting for row in page.rows]),
            "total": page.total,
            "older": page.older,
            "newer": page.newer,
        },
    )


@endpoint()
async def get_meeting(call: Call) -> JSONResponse:
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    return respond(MeetingOut, (await meetings_out(call.db, [meeting]))[0])


@endpoint()
async def list_guests(call: Call) -> JSONResponse:
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    return respond(GuestList, await guests.guest_list(call.db, meeting))


@endpoint(transaction="meeting")
async def remove_guest(call: Call) -> JSONResponse:
    """The host (or an admin) removes a guest from a running meeting."""
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    guest_id = call.request.path_params["guest_id"]
    await guests.remove_guest(call.db, meeting, guest_id, by=call.user.label)
    return respond(GuestList, await guests.guest_list(call.db, meeting))


@endpoint(transaction="meeting")
async def choose_video_guest(call: Call) -> JSONResponse:
    """The meeting's own host (the one in the call) picks the guest on video."""
    body = await read_json(call.request, VideoGuestChoice)
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    if meeting.host_id != call.user.id:
        raise ApiError(403, "not_in_call")
    await guests.choose_video_guest(call.db, meeting, body.guest_id)
    return respond(GuestList, await guests.guest_list(call.db, meeting))


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
    return respond(MeetingOut, (await meetings_out(call.db, [meeting]))[0])


@endpoint(transaction="meeting")
async def change_meeting(call: Call) -> JSONResponse:
    """The host names the guest (at any time, also after the end)."""
    body = await read_json(call.request, MeetingChange)
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    meeting = await guest_labels.set_label(call.db, meeting, body.guest_label, call.user)
    return respond(MeetingOut, meeting)


@endpoint(transaction="meeting")
async def change_options(call: Call) -> JSONResponse:
    """The host changes the meeting's options; everyone in it hears of it."""
    body = await read_json(call.request, MeetingOptionsChange)
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    changed = {
        name: value
        for name, value in body.model_dump(exclude_none=True).items()
        if getattr(meeting, name) != value
    }
    if changed:
        for name, value in changed.items():
            setattr(meeting, name, value)
        await meetings.record_event(
            call.db, meeting, "meeting.options", {**meeting.options, "changed": sorted(changed)}
        )
    return respond(MeetingOut, (await meetings_out(call.db, [meeting]))[0])


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
    """Admins only: a meeting's captures, shared memo, recordings and the
    names its guests typed, rows and blobs. The meeting and its timeline
    stay, with an event saying who deleted the data."""
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
            summary="Meetings you may see, newest first, a page at a time, searched and "
            "filtered as the history is (?q=, state, host, site, source, from, to, tz; "
            "before/after cursors; limit): see docs/API.md",
            response=MeetingList,
            errors=(
                (422, "invalid_state"),
                (422, "invalid_source"),
                (422, "invalid_date"),
                (422, "invalid_id_filter"),
                (422, "invalid_tz"),
                (422, "invalid_limit"),
                (422, "query_too_long"),
            ),
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
            "PATCH",
            "/api/v1/meetings/{meeting_id:id}",
            change_meeting,
            summary="Change the meeting: the guest label (the host's name for the guest, shown "
            "in the meeting, the dashboard, the history and the record; never to the guest)",
            body=MeetingChange,
            response=MeetingOut,
            errors=(*NOT_FOUND, (422, "invalid_request")),
            tag="meetings",
        ),
        operation(
            "PATCH",
            "/api/v1/meetings/{meeting_id:id}/options",
            change_options,
            summary="Change the meeting's options (waiting room, recording, IT重説 mode, "
            "browser audio); those not given stay. Guests hear of it as meeting.options",
            body=MeetingOptionsChange,
            response=MeetingOut,
            errors=(*NOT_FOUND, (409, "meeting_ended"), (422, "invalid_request")),
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
            "GET",
            "/api/v1/meetings/{meeting_id:id}/guests",
            list_guests,
            summary="The meeting's guests in the order they joined: how each came in, whether "
            "they are connected (or since when they are gone), removed, or on video",
            response=GuestList,
            errors=NOT_FOUND,
            tag="meetings",
        ),
        operation(
            "DELETE",
            "/api/v1/meetings/{meeting_id:id}/guests/{guest_id:id}",
            remove_guest,
            summary="Remove a guest from the running meeting: their page is told and their "
            "token stops working; the guest list after it",
            response=GuestList,
            errors=(
                *NOT_FOUND,
                (404, "guest_not_found"),
                (409, "guest_already_removed"),
                (409, "meeting_ended"),
            ),
            tag="meetings",
        ),
        operation(
            "PUT",
            "/api/v1/meetings/{meeting_id:id}/video-guest",
            choose_video_guest,
            summary="Put another guest on the video call (one guest at a time); the guest "
            "list after it",
            body=VideoGuestChoice,
            response=GuestList,
            errors=(
                *NOT_FOUND,
                (403, "not_in_call"),
                (404, "guest_not_found"),
                (409, "guest_already_removed"),
                (409, "meeting_ended"),
                (422, "guest_cannot_video"),
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

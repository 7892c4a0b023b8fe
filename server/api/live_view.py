"""The live view's steps (issue #16): the host asks and stops, the guest's
snippet agrees, declines, pauses, resumes and stops. The page itself goes
over the guest's socket (``server/live/sockets.py``), never through here."""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from server.accounts.attempts import begin_attempt
from server.accounts.rate_limits import Limit
from server.meetings import lifecycle as meetings
from server.meetings import live_view
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.services import services

# A guest's taps: a few pauses a minute, but not a page that fills the timeline.
GUEST_STEPS = Limit(count=30, seconds=60)
STATE = "None (off) | asked | on | paused"


class LiveViewGuest(Payload):
    guest_id: int = Field(ge=1, description="The snippet guest whose page is meant")


class LiveViewAction(Payload):
    action: live_view.Action = Field(
        description="agree (「共有する」) | decline (「共有しない」) | pause (「一時停止」) "
        "| resume (「再開」) | stop (「共有を停止」)"
    )


class LiveViewState(Output):
    state: str | None = Field(description=STATE)


async def _own_meeting(call: Call):
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    if meeting.host_id != call.user.id:
        # An admin looking on sees the live view but does not ask for it.
        raise ApiError(403, "not_host")
    return meeting


@endpoint(transaction="meeting")
async def host_ask(call: Call) -> Response:
    body = await read_json(call.request, LiveViewGuest)
    meeting = await _own_meeting(call)
    state = await live_view.ask(call.db, meeting, body.guest_id, call.user.label)
    return respond(LiveViewState, {"state": state})


@endpoint(transaction="meeting")
async def host_stop(call: Call) -> Response:
    body = await read_json(call.request, LiveViewGuest)
    meeting = await _own_meeting(call)
    await live_view.host_stop(call.db, meeting, body.guest_id)
    return respond(LiveViewState, {"state": None})


async def guest_step(request: Request) -> JSONResponse:
    async with services(request).db() as db:
        guest = await require_guest(request, db)
    await begin_attempt(
        request, [(f"live_view:guest:{guest.id}", GUEST_STEPS)], code="too_many_live_view_steps"
    )
    body = await read_json(request, LiveViewAction)
    async with meetings.transaction(request.app) as db:
        guest = await require_guest(request, db)
        state = await live_view.guest_action(db, guest.id, body.action)
    return respond(LiveViewState, {"state": state})


def routes() -> list[BaseRoute]:
    return [
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/live-view",
            host_ask,
            summary="Ask a snippet guest to share their page live (live_view.asked); "
            "asking again while asked, on or paused changes nothing",
            body=LiveViewGuest,
            response=LiveViewState,
            errors=(
                (403, "not_host"),
                (404, "meeting_not_found"),
                (404, "guest_not_found"),
                (409, "meeting_ended"),
                (409, "live_view_not_available"),
                (409, "guest_not_connected"),
            ),
            tag="live view",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/live-view/stop",
            host_stop,
            summary="Stop a guest's live view, or withdraw the question "
            "(live_view.stopped / live_view.withdrawn)",
            body=LiveViewGuest,
            response=LiveViewState,
            errors=((403, "not_host"), (404, "meeting_not_found"), (404, "guest_not_found")),
            tag="live view",
        ),
        operation(
            "POST",
            "/api/v1/guest/live-view",
            guest_step,
            summary="The guest's answer and controls: agree (a consent is stored each "
            "time), decline, pause, resume, stop. Frames go over the guest's socket "
            "only while the state is on",
            auth="guest",
            body=LiveViewAction,
            response=LiveViewState,
            errors=(
                *GUEST_AUTH_ERRORS,
                (409, "not_connected"),
                (409, "meeting_ended"),
                (409, "live_view_not_asked"),
                (429, "too_many_live_view_steps"),
            ),
            tag="live view",
        ),
    ]

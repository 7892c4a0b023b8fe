"""Screen share steps (issue #15): the sharer's page says when its share
started, paused, resumed and stopped, for the meeting's timeline. The
screen itself goes peer to peer (server/static/video.js)."""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from server.accounts.attempts import begin_attempt
from server.accounts.rate_limits import Limit
from server.meetings import lifecycle as meetings
from server.meetings import screen_share
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.web.endpoints import Call, endpoint
from server.web.openapi import operation
from server.web.payloads import Payload, read_json
from server.web.services import services

# A guest's steps: a share's four, with room for a few shares a minute, but
# not a page that fills the timeline.
GUEST_STEPS = Limit(count=30, seconds=60)


class ScreenStep(Payload):
    state: screen_share.State = Field(
        description="started | paused (「共有の一時停止」) | resumed | stopped"
    )
    ended: bool = Field(
        default=False,
        description="With stopped: the sharer's page is closing (nobody stopped the "
        "share; the record says it ended)",
    )


@endpoint(transaction="meeting")
async def host_screen(call: Call) -> Response:
    body = await read_json(call.request, ScreenStep)
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    await screen_share.host_step(call.db, meeting, call.user, body.state, ended=body.ended)
    return Response(status_code=204)


async def guest_screen(request: Request) -> Response:
    async with services(request).db() as db:
        guest = await require_guest(request, db)
    await begin_attempt(
        request, [(f"screen:guest:{guest.id}", GUEST_STEPS)], code="too_many_screen_steps"
    )
    body = await read_json(request, ScreenStep)
    async with meetings.transaction(request.app) as db:
        guest = await require_guest(request, db)
        await screen_share.guest_step(db, guest, body.state, ended=body.ended)
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/screen",
            host_screen,
            summary="The host's screen share started, paused, resumed or stopped "
            "(screen.* events in the timeline)",
            body=ScreenStep,
            status=204,
            errors=(
                (403, "not_in_call"),
                (404, "meeting_not_found"),
                (409, "meeting_ended"),
            ),
            tag="video",
        ),
        operation(
            "POST",
            "/api/v1/guest/screen",
            guest_screen,
            summary="The guest's screen share started, paused, resumed or stopped "
            "(only the guest on video with the host shares)",
            auth="guest",
            body=ScreenStep,
            status=204,
            errors=(
                *GUEST_AUTH_ERRORS,
                (409, "not_connected"),
                (409, "meeting_ended"),
                (409, "screen_not_in_call"),
                (429, "too_many_screen_steps"),
            ),
            tag="video",
        ),
    ]

"""What a browser needs to join a meeting's video call: its peer name, the
ICE servers (with its own TURN credentials) and whether audio is sent."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from server.api.captures import GUEST_ERRORS
from server.api.meetings import NOT_FOUND
from server.live import signaling
from server.live.ice import ice_servers
from server.meetings import lifecycle as meetings
from server.meetings.guests import require_guest
from server.storage.models import Meeting
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, respond
from server.web.services import services


class IceServer(Output):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class CallSetup(Output):
    meeting_id: int
    peer: str = Field(description='Your name in signaling: "host" or "guest-<id>"')
    ice_servers: list[IceServer]
    audio: bool = Field(
        description="Send and play microphone audio: the meeting uses browser audio "
        "(its browser_audio or it_mode option) or the server sends audio with all video"
    )
    ice_transport_policy: Literal["all", "relay"] = Field(
        description='The RTCPeerConnection\'s iceTransportPolicy: "relay" sends only '
        "through TURN (TSUNAGU_ICE_RELAY_ONLY)"
    )


def setup(request: Request, meeting: Meeting, peer: str, participant: str) -> JSONResponse:
    """Asked anew before every connection and ICE restart, so TURN
    credentials are always fresh (they expire after TSUNAGU_TURN_TTL)."""
    settings = services(request).settings
    servers = ice_servers(settings, participant)
    body = {
        "meeting_id": meeting.id,
        "peer": peer,
        "ice_servers": servers,
        "audio": settings.video_audio or meeting.uses_browser_audio,
        "ice_transport_policy": "relay" if settings.ice_relay_only else "all",
    }
    return respond(CallSetup, body)


@endpoint()
async def host_call(call: Call) -> JSONResponse:
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    if meeting.host_id != call.user.id:
        raise ApiError(403, "not_in_call")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    return setup(call.request, meeting, signaling.HOST, f"host-{call.user.id}")


async def guest_call(request: Request) -> JSONResponse:
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
    if meeting is None:
        raise ApiError(409, "not_connected")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    peer = signaling.guest_peer(guest.id)
    return setup(request, meeting, peer, peer)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "GET",
            "/api/v1/meetings/{meeting_id:id}/call",
            host_call,
            summary="Join the meeting's video call as its host: ICE servers and TURN "
            "credentials for this browser",
            response=CallSetup,
            errors=(*NOT_FOUND, (403, "not_in_call"), (409, "meeting_ended")),
            tag="video",
        ),
        operation(
            "GET",
            "/api/v1/guest/call",
            guest_call,
            summary="Join your meeting's video call as its guest: ICE servers and TURN "
            "credentials for this browser",
            auth="guest",
            response=CallSetup,
            errors=GUEST_ERRORS,
            tag="video",
        ),
    ]

"""The video passes to a guest who connects while the video guest is gone
(issue #14 walk-through): the customer whose browser died comes back on a
new link as a new guest and gets the video, not 「ビデオは別のお客様と通話中です」;
a video guest who is still connected keeps it."""

from __future__ import annotations

import json
from datetime import timedelta

from websockets.asyncio.client import connect

from server.meetings import presence
from server.storage.models import utcnow
from server.web.services import services
from tests.served_app import serving
from tests.sockets import next_message
from tests.test_guests import events, guest_list, join_link, link_meeting, new_link, session


async def drop(app, meeting_id: int, guest_id: int) -> None:
    """The guest was connected, then their browser died."""
    leases = services(app).presence
    now = utcnow()
    lease = await leases.join(meeting_id, presence.GUEST, guest_id, now=now)
    await leases.leave(lease, 0, now=now)
    await presence.sync_guests(app, now + timedelta(seconds=1), meeting_id)


async def test_a_guest_connecting_while_the_video_guest_is_gone_takes_the_video(app, host):
    meeting_id, (first,) = await link_meeting(app, host, phones=1)
    await drop(app, meeting_id, first["guest_id"])
    back = await join_link(app, await new_link(host, meeting_id), "192.0.2.60")
    assert back["video"] is False  # not yet connected: the video waits for them

    async with serving(app) as served, connect(served.ws_url + "/api/v1/guest/live") as socket:
        await socket.send(json.dumps({"type": "hello", "token": back["guest_token"]}))
        moved = await next_message(socket, "video.guest")
        assert moved["payload"]["guest_id"] == back["guest_id"]
        assert moved["payload"]["by"] == "system"

        listed = await guest_list(host, meeting_id)
        assert listed["video_guest_id"] == back["guest_id"]
        assert [(g["state"], g["on_video"]) for g in listed["guests"]] == [
            ("disconnected", False),
            ("connected", True),
        ]
        assert (await session(app, back["guest_token"]))["video"] is True


async def test_a_connected_video_guest_keeps_the_video_when_another_connects(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)
    async with serving(app) as served, connect(served.ws_url + "/api/v1/guest/live") as one:
        await one.send(json.dumps({"type": "hello", "token": first["guest_token"]}))
        await one.send(json.dumps({"type": "ping"}))
        await next_message(one, "pong")
        async with connect(served.ws_url + "/api/v1/guest/live") as two:
            await two.send(json.dumps({"type": "hello", "token": second["guest_token"]}))
            await two.send(json.dumps({"type": "ping"}))
            await next_message(two, "pong")
            listed = await guest_list(host, meeting_id)
            assert [g["state"] for g in listed["guests"]] == ["connected", "connected"]
            assert listed["video_guest_id"] == first["guest_id"]
    assert not [e for e in await events(host, meeting_id) if e["type"] == "video.guest"]

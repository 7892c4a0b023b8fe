"""Screen share steps through the API (issue #15): the host and the guest
on video say when their share started, paused, resumed and stopped; the
timeline and the meeting record say who did it. Nobody else can."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from server.storage.models import Guest, Meeting
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in

pytestmark = pytest.mark.anyio


async def start_meeting(app, host) -> tuple[int, str]:
    """A meeting whose guest (from the join page, so on video) is connected."""
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    meeting = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert meeting.status_code == 201, meeting.text
    async with services(app).db.begin() as db:
        await db.execute(update(Guest).values(connected=True))
    return meeting.json()["id"], issued["guest_token"]


async def guest_step(app, token: str, state: object):
    async with http_client(app, address="192.0.2.9") as guest:
        return await guest.post(
            "/api/v1/guest/screen",
            json={"state": state},
            headers={"authorization": f"Bearer {token}"},
        )


async def timeline(host, meeting_id: int) -> list[tuple[str, dict]]:
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    return [(e["type"], e["payload"]) for e in events if e["type"].startswith("screen.")]


async def test_the_host_and_the_guest_share_and_the_record_says_who(app, host):
    meeting_id, token = await start_meeting(app, host)

    for state in ("started", "paused", "resumed", "stopped"):
        answer = await host.post(f"/api/v1/meetings/{meeting_id}/screen", json={"state": state})
        assert answer.status_code == 204, answer.text
    assert (await guest_step(app, token, "started")).status_code == 204
    assert (await guest_step(app, token, "stopped")).status_code == 204

    steps = await timeline(host, meeting_id)
    assert [kind for kind, _ in steps] == [
        "screen.started",
        "screen.paused",
        "screen.resumed",
        "screen.stopped",
        "screen.started",
        "screen.stopped",
    ]
    assert steps[0][1] == {"by": "host", "name": "tanaka"}
    guest_id = steps[-1][1]["guest_id"]
    assert steps[-1][1] == {"by": "guest", "guest_id": guest_id, "n": 1}

    await host.post(f"/api/v1/meetings/{meeting_id}/end")
    record = (await host.get(f"/meetings/{meeting_id}")).text
    for text in (
        "tanaka が画面共有を開始しました",
        "tanaka が画面共有を一時停止しました",
        "tanaka が画面共有を再開しました",
        "tanaka が画面共有を停止しました",
        "お客様 1 が画面共有を開始しました",
        "お客様 1 が画面共有を停止しました",
    ):
        assert text in record


async def test_only_the_two_on_the_call_share_and_a_bad_step_is_refused(app, host, make_user):
    meeting_id, token = await start_meeting(app, host)

    bad = await host.post(f"/api/v1/meetings/{meeting_id}/screen", json={"state": "shared"})
    assert bad.status_code == 422
    assert (await guest_step(app, token, ["started"])).status_code == 422
    # Another host does not even see the meeting.
    await make_user("suzuki")
    async with http_client(app) as other:
        await log_in(other, "suzuki")
        other.headers["x-csrf-token"] = await csrf_token(other)
        refused = await other.post(
            f"/api/v1/meetings/{meeting_id}/screen", json={"state": "started"}
        )
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "meeting_not_found"
    # A guest moved off the video (another guest on it) cannot share.
    async with services(app).db.begin() as db:
        await db.execute(update(Meeting).values(video_guest_id=None))
    off_call = await guest_step(app, token, "started")
    assert off_call.status_code == 409
    assert off_call.json()["error"]["code"] == "screen_not_in_call"

    await host.post(f"/api/v1/meetings/{meeting_id}/end")
    after = await host.post(f"/api/v1/meetings/{meeting_id}/screen", json={"state": "stopped"})
    assert after.status_code == 409
    assert after.json()["error"]["code"] == "meeting_ended"
    assert await timeline(host, meeting_id) == []

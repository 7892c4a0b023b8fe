"""Screen share steps through the API (issue #15): the host and the guest
on video say when their share started, paused, resumed and stopped; the
timeline and the meeting record say who did it. Nobody else can."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from server.meetings import presence
from server.storage.models import Guest, Meeting, utcnow
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in
from tests.test_guests import link_meeting

pytestmark = pytest.mark.anyio


async def start_meeting(app, host) -> tuple[int, str]:
    """A meeting whose guest (from the join page, so on video) is connected."""
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    meeting = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert meeting.status_code == 201, meeting.text
    async with services(app).db.begin() as db:
        await db.execute(update(Guest).values(connected=True))
    return meeting.json()["id"], issued["guest_token"]


async def guest_step(app, token: str, state: object, **extra):
    async with http_client(app, address="192.0.2.9") as guest:
        return await guest.post(
            "/api/v1/guest/screen",
            json={"state": state, **extra},
            headers={"authorization": f"Bearer {token}"},
        )


async def host_step(host, meeting_id: int, state: str, **extra):
    return await host.post(f"/api/v1/meetings/{meeting_id}/screen", json={"state": state, **extra})


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


async def test_a_step_that_changes_nothing_is_not_recorded_again(app, host):
    meeting_id, token = await start_meeting(app, host)

    # Nothing shared: nothing to pause, resume or stop.
    for state in ("paused", "resumed", "stopped"):
        assert (await host_step(host, meeting_id, state)).status_code == 204
        assert (await guest_step(app, token, state)).status_code == 204
    # Each step twice (a double click, a page that retries).
    for state in ("started", "started", "paused", "paused", "started", "resumed", "resumed"):
        assert (await host_step(host, meeting_id, state)).status_code == 204
        assert (await guest_step(app, token, state)).status_code == 204
    for state in ("stopped", "stopped", "resumed"):
        assert (await host_step(host, meeting_id, state)).status_code == 204
        assert (await guest_step(app, token, state)).status_code == 204

    steps = [(kind, payload["by"]) for kind, payload in await timeline(host, meeting_id)]
    assert steps == [
        ("screen.started", "host"),
        ("screen.started", "guest"),
        ("screen.paused", "host"),
        ("screen.paused", "guest"),
        ("screen.resumed", "host"),
        ("screen.resumed", "guest"),
        ("screen.stopped", "host"),
        ("screen.stopped", "guest"),
    ]


async def test_a_guest_sending_step_after_step_is_slowed_down(app, host):
    meeting_id, token = await start_meeting(app, host)
    for _ in range(15):
        assert (await guest_step(app, token, "started")).status_code == 204
        assert (await guest_step(app, token, "stopped")).status_code == 204

    refused = await guest_step(app, token, "started")

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_screen_steps"
    assert int(refused.headers["retry-after"]) > 0
    assert len(await timeline(host, meeting_id)) == 30


async def test_a_share_running_when_the_meeting_ends_is_recorded_as_ended(app, host):
    meeting_id, token = await start_meeting(app, host)
    await host_step(host, meeting_id, "started")
    await guest_step(app, token, "started")
    await guest_step(app, token, "paused")

    await host.post(f"/api/v1/meetings/{meeting_id}/end")

    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    last = [(e["type"], e["payload"].get("by"), e["payload"].get("ended")) for e in events][-3:]
    assert last == [
        ("screen.stopped", "host", "meeting"),
        ("screen.stopped", "guest", "meeting"),
        ("meeting.ended", "host", None),
    ]
    record = (await host.get(f"/meetings/{meeting_id}")).text
    assert "tanaka の画面共有が終わりました" in record
    assert "お客様 1 の画面共有が終わりました" in record
    assert "が画面共有を停止しました" not in record


async def test_a_page_closing_while_it_shares_ends_the_share(app, host):
    meeting_id, token = await start_meeting(app, host)
    await host_step(host, meeting_id, "started")
    await guest_step(app, token, "started")

    # The pages' last word as they close (a keepalive request on pagehide).
    assert (await host_step(host, meeting_id, "stopped", ended=True)).status_code == 204
    assert (await guest_step(app, token, "stopped", ended=True)).status_code == 204

    stops = [p for kind, p in await timeline(host, meeting_id) if kind == "screen.stopped"]
    assert [(p["by"], p["ended"]) for p in stops] == [("host", "page"), ("guest", "page")]
    await host.post(f"/api/v1/meetings/{meeting_id}/end")
    record = (await host.get(f"/meetings/{meeting_id}")).text
    assert "tanaka の画面共有が終わりました" in record
    assert "お客様 1 の画面共有が終わりました" in record


async def test_a_sharing_guest_who_is_gone_removed_or_off_the_video_ends_their_share(app, host):
    # Gone: no live socket any more (their page closed without a word).
    meeting_id, token = await start_meeting(app, host)
    await guest_step(app, token, "started")

    await presence.sync_guests(app, utcnow(), meeting_id)

    assert [(k, p.get("ended")) for k, p in await timeline(host, meeting_id)] == [
        ("screen.started", None),
        ("screen.stopped", "left"),
    ]

    # Removed by the host, and moved off the video for another guest.
    meeting_id, (first, second) = await link_meeting(app, host)
    token = first["guest_token"]
    assert (await guest_step(app, token, "started")).status_code == 204
    moved = await host.put(
        f"/api/v1/meetings/{meeting_id}/video-guest", json={"guest_id": second["guest_id"]}
    )
    assert moved.status_code == 200, moved.text
    assert (await guest_step(app, second["guest_token"], "started")).status_code == 204
    removed = await host.delete(f"/api/v1/meetings/{meeting_id}/guests/{second['guest_id']}")
    assert removed.status_code == 200, removed.text

    steps = [(k, p["guest_id"], p.get("ended")) for k, p in await timeline(host, meeting_id)]
    assert steps == [
        ("screen.started", first["guest_id"], None),
        ("screen.stopped", first["guest_id"], "video"),
        ("screen.started", second["guest_id"], None),
        ("screen.stopped", second["guest_id"], "left"),
    ]
